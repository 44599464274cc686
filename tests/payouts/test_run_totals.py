"""A sales head reads a run as money: paid and held totals, and each manager by component."""

from decimal import Decimal

import pytest

from payouts.models import ComponentKind, PayoutRun
from payouts.selectors import (
    payout_run_totals_by_manager,
    payout_runs_visible_to,
    payout_runs_with_totals,
)
from salesops.models import Role
from tests.payouts.factories import calls, person, plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db


@pytest.fixture
def north_month(team):
    """Two managers paid per conversation (10 and 7 conversations at 10.00)."""
    anna, boris = person(Role.MANAGER, team), person(Role.MANAGER, team)
    for manager, count in ((anna, 10), (boris, 7)):
        plan_for(manager, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
        calls(manager, count, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=40)
    return compute(NOVEMBER, team), anna, boris


def test_run_totals_by_manager_split_pay_by_component(north_month):
    run, anna, boris = north_month
    rows = {row["manager"]: row for row in payout_run_totals_by_manager(run=run)}
    assert rows[str(anna)]["by_kind"] == {ComponentKind.PER_CONVERSATION: Decimal("100.00")}
    assert (rows[str(anna)]["paid"], rows[str(anna)]["held"]) == (Decimal("100.00"), Decimal("0"))
    assert rows[str(boris)]["paid"] == Decimal("70.00")


def test_sales_heads_run_total_is_not_multiplied_by_the_team_join(north_month, team):
    head = person(Role.SALES_HEAD, team)
    run = payout_runs_with_totals(payout_runs_visible_to(head.user)).get()
    assert (run.paid_total, run.held_total) == (Decimal("170.00"), None)


def test_run_page_shows_each_managers_pay(north_month, team, client):
    run, anna, _ = north_month
    client.force_login(person(Role.SALES_HEAD, team).user)
    page = client.get(f"/admin/payouts/payoutrun/{run.pk}/change/").content.decode()
    assert str(anna) in page
    assert "100.00" in page and "170.00" not in page  # per manager here; the total is listed
    listing = client.get("/admin/payouts/payoutrun/").content.decode()
    assert "170.00" in listing
    assert PayoutRun.objects.count() == 1
