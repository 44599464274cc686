"""A pilot's report: the funnel, the cost of the work, break-even per-result prices at zero
margin and with a margin (issue 19). Figures of ``helpers``; the pilot runs 3–20 November 2026
under 250.00 per shift hour, and L3 is also won on the 20th."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from leads.models import MilestoneKind
from payouts.models import ComponentKind as K
from payouts.vendors.models import Pilot
from payouts.vendors.pilots import pilot_report
from tests.factories import LeadMilestoneFactory
from tests.payouts.helpers import moscow

from .helpers import contract, vendor_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def pilot():
    vendor, world = vendor_world()
    version = contract(None, (K.PER_HOUR, "250.00"), code="hourly-trial")
    LeadMilestoneFactory(lead=world["L3"], kind=MilestoneKind.WON,
                         at=moscow(2026, 11, 20, 15, 0))
    return Pilot.objects.create(code="dozvon-nov", name="Dozvon, November trial", vendor=vendor,
                                plan=version.plan, starts_on=datetime.date(2026, 11, 3),
                                ends_on=datetime.date(2026, 11, 20), goal="price the lead")


def test_the_funnel_of_the_pilot(pilot):
    """4 dials → 3 conversations (c2 has 10 s of talk) → 3 reached a decision maker → 2
    presentations → 3 confirmed → 1 arrived → 1 won; 421 s = 7.02 min; 12.5 h."""
    report = pilot_report(pilot=pilot)
    assert [(s.key, s.count, s.conversion) for s in report.funnel] == [
        ("dial_attempts", 4, None),
        ("conversations", 3, Decimal("0.7500")),
        ("decision_maker", 3, Decimal("1.0000")),
        ("presentation", 2, Decimal("0.6667")),
        ("confirmed", 3, Decimal("1.5000")),
        ("arrived", 1, Decimal("0.3333")),
        ("won", 1, Decimal("1.0000")),
    ]
    assert (report.minutes, report.hours) == (Decimal("7.02"), Decimal("12.50"))


def test_the_cost_and_cost_per_result(pilot):
    """12.5 h × 250.00 = 3125.00; / 3 conversations = 1041.67; / 3 confirmed = 1041.67;
    / 1 arrived = 3125.00."""
    report = pilot_report(pilot=pilot)
    assert report.cost == Decimal("3125.00")
    assert (report.cost_per_conversation, report.cost_per_confirmed, report.cost_per_arrived) \
        == (Decimal("1041.67"), Decimal("1041.67"), Decimal("3125.00"))


def test_break_even_at_zero_margin_is_the_cost_per_result(pilot):
    report = pilot_report(pilot=pilot)
    assert (report.break_even_confirmed.at_cost, report.break_even_confirmed.with_margin) == (
        Decimal("1041.67"), Decimal("1041.67"))
    assert report.break_even_arrived.with_margin == Decimal("3125.00")


def test_break_even_with_a_margin(pilot):
    """3125.00 × 1.20 / 3 = 1250.00 per confirmed lead; 3125.00 × 1.20 / 1 = 3750.00."""
    report = pilot_report(pilot=pilot, margin=Decimal("0.20"))
    assert report.break_even_confirmed.with_margin == Decimal("1250.00")
    assert report.break_even_arrived.with_margin == Decimal("3750.00")


def test_a_call_judged_empty_leaves_the_funnels_conversations(pilot):
    from payouts.vendors.qa import qa_verdict_set

    vendor_calls = pilot.vendor.team.members.get(user__username="pavel").calls
    qa_verdict_set(call=vendor_calls.get(talk_s=180), verdict="empty", note="silence", by=None)
    report = pilot_report(pilot=pilot)
    assert (report.step("conversations"), report.step("decision_maker")) == (2, 2)


def test_the_command_writes_the_documented_json(pilot, tmp_path):
    out = tmp_path / "pilot.json"
    call_command("pilot_report", "dozvon-nov", "--margin", "0.20", "--format", "json",
                 "--output", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["cost"] == "3125.00"
    assert data["break_even"]["per_confirmed_lead"] == {
        "results": 3, "at_cost": "1041.67", "with_margin": "1250.00"}
    assert data["funnel"][1] == {"step": "conversations", "count": 3, "conversion": "0.7500"}
    assert (data["vendor"], data["contract"], data["minutes"]) == (
        "dozvon", "hourly-trial", "7.02")


def test_the_command_writes_xlsx(pilot, tmp_path):
    out = tmp_path / "pilot.xlsx"
    call_command("pilot_report", "dozvon-nov", "--format", "xlsx", "--output", str(out))
    assert out.read_bytes()[:2] == b"PK"


def test_a_pilot_of_a_staff_team_measures_the_team_over_its_days():
    """A team's pilot of 4–5 November under 2.00 per minute: of Ivan's calls of the 3rd
    (60 s), 4th (120 s) and 6th (60 s) only the 4th counts: 120 × 2.00 / 60 = 4.00."""
    from salesops.models import Outcome
    from tests.factories import CallFactory, ManagerFactory, TeamFactory

    team = TeamFactory(code="inhouse")
    ivan = ManagerFactory(team=team)
    for day, seconds in ((3, 60), (4, 120), (6, 60)):
        CallFactory(manager=ivan, started_at=moscow(2026, 11, day, 10, 0), duration_s=seconds,
                    talk_s=30, outcome=Outcome.DECISION_MAKER)
    version = contract(None, (K.PER_MINUTE, "2.00"), code="inhouse-minutes")
    pilot = Pilot.objects.create(code="inhouse", name="In-house", team=team, plan=version.plan,
                                 starts_on=datetime.date(2026, 11, 4),
                                 ends_on=datetime.date(2026, 11, 5))
    report = pilot_report(pilot=pilot)
    assert (report.step("dial_attempts"), report.step("decision_maker"), report.cost) == (
        1, 1, Decimal("4.00"))
