"""Two teams' months, as a sales head finds them on the 1st: north (anna, vera; head
head.north) and south (boris; head head.south), computed by the nightly task (nobody's request,
so every head may approve), with pending exceptions on anna's and boris's leads, each asked by
the manager, and an open inquiry of each manager about a line."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from leads.models import LeadSource
from payouts.exceptions import commission_exception_request
from payouts.inquiries import inquiry_raise
from payouts.models import ComponentKind, ExceptionKind, PayoutLine, PayoutRun
from salesops.imports.stats import daily_stats_refresh
from salesops.models import Role
from tests.factories import LeadFactory, MonthlyPlanFactory, PaymentFactory, TeamFactory
from tests.payouts.factories import calls, person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

PLAN = ({"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")},
        {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")})


@dataclass
class Month:
    north: object
    south: object
    people: dict = field(default_factory=dict)  # name → Manager
    exceptions: dict = field(default_factory=dict)  # name → CommissionException
    inquiries: dict = field(default_factory=dict)  # name → PayoutInquiry
    runs: dict = field(default_factory=dict)  # team code → PayoutRun

    def user(self, name):
        return self.people[name].user


def _seller(name, team, *, conversations, payment):
    manager = person(Role.MANAGER, team, username=name)
    manager.user.first_name, manager.user.last_name = name.title(), "Seller"
    manager.user.email = f"{name}@example.com"
    manager.user.save()
    plan_for(manager, *PLAN)
    calls(manager, conversations, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30,
          duration_s=40)
    # What an import keeps for the pages: the day's figures (salesops.imports.stats).
    daily_stats_refresh(pairs={(manager.pk, datetime.date(2026, 11, 5))})
    MonthlyPlanFactory(manager=manager, month=NOVEMBER, target_conversations=10,
                       target_confirmed_leads=2, target_revenue=Decimal("100000.00"))
    lead = LeadFactory(owner=manager, source=LeadSource.OWNER_ROUTED)
    PaymentFactory(lead=lead, amount=payment, received_on=datetime.date(2026, 11, 10))
    return manager, lead


def _ask(manager, lead, reason):
    return commission_exception_request(
        lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"), requested_by=manager.user,
        reason=reason)


def build_month() -> Month:
    north, south = TeamFactory(code="north", name="North"), TeamFactory(code="south",
                                                                      name="South")
    world = Month(north=north, south=south)
    anna, anna_lead = _seller("anna", north, conversations=12, payment=Decimal("200000.00"))
    vera, vera_lead = _seller("vera", north, conversations=8, payment=Decimal("50000.00"))
    boris, boris_lead = _seller("boris", south, conversations=5, payment=Decimal("80000.00"))
    world.people = {
        "anna": anna, "vera": vera, "boris": boris,
        "head_north": person(Role.SALES_HEAD, north, username="head.north"),
        "head_south": person(Role.SALES_HEAD, south, username="head.south"),
        "admin": person(Role.ADMIN, username="admin"),
        "owner": person(Role.OWNER, username="owner"),
    }
    for name in ("head_north", "head_south", "admin", "owner"):
        user = world.user(name)
        user.email = f"{user.username}@example.com"
        user.save()
    world.exceptions = {
        "anna": _ask(anna, anna_lead, "the client asked for a discount"),
        "vera": _ask(vera, vera_lead, "agreed with the owner"),
        "boris": _ask(boris, boris_lead, "a partner's lead, really"),
    }
    world.runs = {"north": compute(NOVEMBER, north), "south": compute(NOVEMBER, south)}
    for name, team in (("anna", "north"), ("boris", "south")):
        line = PayoutLine.objects.filter(run=world.runs[team], manager=world.people[name],
                                         kind=ComponentKind.PER_CONVERSATION).get()
        world.inquiries[name] = inquiry_raise(line=line, comment="calls missing on the 14th",
                                              raised_by=world.user(name))
    assert {run.status for run in world.runs.values()} == {PayoutRun.Status.COMPUTED}
    return world


@pytest.fixture
def month(db, settings):
    settings.REVIEW_RECOMPUTE_IN_THREAD = False
    return build_month()
