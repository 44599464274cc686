"""Plan tables are validated; pay is visible only through the scoping selector; every line
finds its source rows; the beat schedule names real tasks."""

import doctest
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from payouts import validation
from payouts.models import ComponentKind, PayoutLine
from payouts.selectors import (
    payout_line_source_rows,
    payout_lines_visible_to,
    payout_runs_visible_to,
)
from payouts.validation import component_rates_validate, revenue_tiers_validate
from salesops.celery import app
from salesops.models import Outcome, Role
from salesops.services import manager_set_role
from tests.factories import CallFactory, ManagerFactory, TeamFactory, UserFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db


def test_overlapping_revenue_tiers_are_refused():
    with pytest.raises(ValidationError, match="overlaps"):
        revenue_tiers_validate([(Decimal("0"), Decimal("100")), (Decimal("90"), None)])
    with pytest.raises(ValidationError, match="overlaps"):
        revenue_tiers_validate([(Decimal("100"), None), (Decimal("0"), None)])
    revenue_tiers_validate([(Decimal("100"), None), (Decimal("0"), Decimal("100"))])


def test_validation_doctests():
    assert doctest.testmod(validation).failed == 0


def test_outcome_rates_belong_to_differentiated_minutes():
    with pytest.raises(ValidationError, match="differentiated"):
        component_rates_validate(kind=ComponentKind.PER_MINUTE, outcomes=[Outcome.CONSENT],
                                 sources=[])
    with pytest.raises(ValidationError, match="one rate"):
        component_rates_validate(kind=ComponentKind.DIFFERENTIATED_MINUTES,
                                 outcomes=[Outcome.CONSENT, Outcome.CONSENT], sources=[])


@pytest.fixture
def two_teams():
    north, south = TeamFactory(code="north"), TeamFactory(code="south")
    people = {"anna": ManagerFactory(team=north), "boris": ManagerFactory(team=north),
              "vera": ManagerFactory(team=south)}
    for person in people.values():
        plan_for(person, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
        calls(person, 3, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    people["head"] = ManagerFactory(team=north, role=Role.SALES_HEAD)
    compute(NOVEMBER, north)
    compute(NOVEMBER, south)
    return people


def test_pay_is_scoped_like_everything_else(two_teams):
    anna, head, vera = two_teams["anna"], two_teams["head"], two_teams["vera"]
    assert set(payout_lines_visible_to(anna.user).values_list("manager", flat=True)) == {anna.pk}
    assert set(payout_lines_visible_to(head.user).values_list("manager", flat=True)) == {
        anna.pk, two_teams["boris"].pk
    }
    assert [r.team.code for r in payout_runs_visible_to(head.user)] == ["north"]
    assert payout_lines_visible_to(UserFactory()).count() == 0
    owner = ManagerFactory(owner=True)
    assert payout_lines_visible_to(owner.user).count() == 3
    assert vera.pk in set(payout_lines_visible_to(owner.user).values_list("manager", flat=True))


def test_admin_lists_pay_for_a_sales_head_of_own_team_only(two_teams, client):
    # The role's group carries the admin permissions (payouts migration 0003).
    head = manager_set_role(manager=two_teams["head"], role=Role.SALES_HEAD)
    client.force_login(head.user)
    page = client.get("/admin/payouts/payoutrun/")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1


def test_a_line_finds_its_exact_source_calls():
    team = TeamFactory()
    anna = ManagerFactory(team=team)
    plan_for(anna, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
    counted = [CallFactory(manager=anna, started_at=moscow(2026, 11, 5, 10, 0), talk_s=talk,
                           duration_s=60) for talk in (15, 40)]
    CallFactory(manager=anna, started_at=moscow(2026, 11, 5, 11, 0), talk_s=14, duration_s=60)
    line = PayoutLine.objects.get(run=compute(NOVEMBER, team))
    assert list(payout_line_source_rows(line=line).order_by("pk")) == counted


def test_beat_recomputes_the_current_month_nightly_and_last_month_on_the_1st():
    schedule = settings.CELERY_BEAT_SCHEDULE
    tasks = {e["task"] for e in schedule.values() if e["task"].startswith("payouts.")}
    assert tasks == {
        "payouts.recompute_current_month", "payouts.compute_last_month",
        "payouts.compute_last_month_partner_statements", "payouts.watchdog",
    }
    assert tasks <= set(app.tasks)
    monthly = schedule["payouts-compute-last-month"]["schedule"]
    assert monthly.day_of_month == {1}
