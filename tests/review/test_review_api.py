"""The review's API, each endpoint × role × own team / other team (SPEC §1, §7): the answer the
access policy gives, the service's refusals as 409 with their reason, and nothing changed by a
refused call. "Own" is the north team's row (the sales head is head.north; the manager is anna)."""

from decimal import Decimal

import pytest

from payouts.models import CommissionException, PayoutInquiry, PayoutRun
from payouts.review.models import Notification

pytestmark = pytest.mark.django_db

ROLES = {"manager": "anna", "sales_head": "head_north", "admin": "admin", "owner": "owner"}
SIDE = {"own": "north", "other": "south"}
PERSON = {"own": "anna", "other": "boris"}


def _client(client, month, role):
    client.force_login(month.user(ROLES[role]))
    return client


def _state(row):
    return type(row).objects.filter(pk=row.pk).values().get()


# --- runs: list, lines ---------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "side", "expected"), [
    ("manager", "own", 403), ("manager", "other", 403),
    ("sales_head", "own", 200), ("sales_head", "other", 200),
    ("admin", "own", 200), ("admin", "other", 200),
    ("owner", "own", 200), ("owner", "other", 200),
])
def test_runs_listed_by_month_and_team_only_where_the_role_may_read_them(
    client, month, role, side, expected
):
    response = _client(client, month, role).get(
        f"/api/payout-runs/?month=2026-11&team={SIDE[side]}")
    assert response.status_code == expected
    if expected != 200:
        return
    ids = [row["id"] for row in response.json()["results"]]
    visible = role != "sales_head" or side == "own"
    assert ids == ([month.runs[SIDE[side]].pk] if visible else [])


def test_a_listed_run_carries_its_totals_and_status(client, month):
    row = _client(client, month, "sales_head").get("/api/payout-runs/?month=2026-11").json()
    assert row["count"] == 1
    run = row["results"][0]
    # 12 + 8 conversations at 10.00; the revenue percent of both is held by pending exceptions.
    assert (run["team"], run["month"], run["status"], run["paid_total"], run["held_total"]) == (
        "north", "2026-11", "computed", "200.00", "25000.00")


@pytest.mark.parametrize(("role", "side", "expected"), [
    ("manager", "own", 403), ("sales_head", "own", 200), ("sales_head", "other", 404),
    ("admin", "other", 200), ("owner", "own", 200),
])
def test_a_runs_lines_follow_the_policy(client, month, role, side, expected):
    run = month.runs[SIDE[side]]
    response = _client(client, month, role).get(f"/api/payout-runs/{run.pk}/lines/")
    assert response.status_code == expected
    if expected == 200:
        amounts = sorted(Decimal(line["amount"]) for line in response.json()["results"])
        assert amounts == sorted(run.lines.values_list("amount", flat=True))


# --- runs: approve ------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "side", "expected"), [
    ("manager", "own", 403), ("manager", "other", 403),
    ("sales_head", "other", 404),
    ("admin", "own", 403), ("admin", "other", 403),
])
def test_approval_by_a_role_that_may_not_approve_the_run_is_refused_and_changes_nothing(
    client, month, role, side, expected
):
    run = month.runs[SIDE[side]]
    before = _state(run)
    response = _client(client, month, role).post(f"/api/payout-runs/{run.pk}/approve/")
    assert response.status_code == expected
    assert _state(run) == before


@pytest.mark.parametrize("role", ["sales_head", "owner"])
def test_approval_is_refused_with_the_pending_exceptions_that_block_it(client, month, role):
    run = month.runs["north"]
    response = _client(client, month, role).post(f"/api/payout-runs/{run.pk}/approve/")
    assert response.status_code == 409
    assert [(b["id"], b["amount"]) for b in response.json()["blocking"]] == [
        (month.exceptions["anna"].pk, "20000.00"), (month.exceptions["vera"].pk, "5000.00")]
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED


def _decide_all(month, team, *, by):
    from payouts.exceptions import commission_exception_approve
    from payouts.services import payout_run_recompute_changed
    from tests.payouts.helpers import compute

    names = ["anna", "vera"] if team == "north" else ["boris"]
    for name in names:
        commission_exception_approve(exception=month.exceptions[name], approved_by=by)
    payout_run_recompute_changed(run=month.runs[team])
    return compute(month.runs[team].month, month.runs[team].team)


@pytest.mark.parametrize(("role", "side"), [("sales_head", "own"), ("owner", "other")])
def test_the_teams_head_or_the_owner_approves_a_decided_month(client, month, role, side):
    team = SIDE[side]
    run = _decide_all(month, team, by=month.user("admin"))
    response = _client(client, month, role).post(f"/api/payout-runs/{run.pk}/approve/")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "approved"
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (PayoutRun.Status.APPROVED, month.user(ROLES[role]))
    assert run.transitions.last().by == month.user(ROLES[role])


# --- runs: mark paid ----------------------------------------------------------------------------

@pytest.fixture
def approved_south(month):
    from payouts.lifecycle import payout_run_approve

    run = _decide_all(month, "south", by=month.user("admin"))
    return payout_run_approve(run=run, approved_by=month.user("owner"))


@pytest.mark.parametrize(("role", "expected"), [
    ("manager", 403), ("sales_head", 404), ("admin", 200), ("owner", 200),
])
def test_an_approved_run_is_marked_paid_by_the_owner_or_an_admin_only(
    client, month, approved_south, role, expected
):
    response = _client(client, month, role).post(
        f"/api/payout-runs/{approved_south.pk}/mark-paid/")
    assert response.status_code == expected
    approved_south.refresh_from_db()
    paid = expected == 200
    assert approved_south.status == (PayoutRun.Status.PAID if paid else PayoutRun.Status.APPROVED)
    if paid:
        assert approved_south.transitions.last().by == month.user(ROLES[role])


def test_a_run_not_approved_cannot_be_marked_paid(client, month):
    run = month.runs["north"]
    response = _client(client, month, "owner").post(f"/api/payout-runs/{run.pk}/mark-paid/")
    assert response.status_code == 409
    assert "Only an approved month can be marked paid" in response.json()["detail"]
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED


# --- exceptions ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "expected"), [
    ("manager", {"anna"}), ("sales_head", {"anna", "vera"}),
    ("admin", {"anna", "vera", "boris"}), ("owner", {"anna", "vera", "boris"}),
])
def test_exceptions_listed_are_those_the_role_may_read_with_the_amount_at_stake(
    client, month, role, expected
):
    rows = _client(client, month, role).get("/api/commission-exceptions/").json()["results"]
    ids = {name: e.pk for name, e in month.exceptions.items()}
    assert {row["id"] for row in rows} == {ids[name] for name in expected}
    stakes = {row["id"]: row["amount_at_stake"] for row in rows}
    assert stakes.get(ids["anna"]) == "20000.00"


@pytest.mark.parametrize(("role", "side", "expected"), [
    ("manager", "own", 403), ("manager", "other", 404),
    ("sales_head", "own", 200), ("sales_head", "other", 404),
    ("admin", "other", 200), ("owner", "own", 200),
])
def test_an_exception_is_decided_only_where_the_policy_allows(
    client, month, role, side, expected
):
    exception = month.exceptions[PERSON[side]]
    before = _state(exception)
    response = _client(client, month, role).post(
        f"/api/commission-exceptions/{exception.pk}/decide/",
        {"decision": "reject", "comment": "no such agreement"})
    assert response.status_code == expected
    exception.refresh_from_db()
    if expected == 200:
        assert (exception.status, exception.decided_by, exception.decision_comment) == (
            "rejected", month.user(ROLES[role]), "no such agreement")
    else:
        assert _state(exception) == before


def test_a_rejection_without_a_reason_is_refused(client, month):
    exception = month.exceptions["anna"]
    response = _client(client, month, "sales_head").post(
        f"/api/commission-exceptions/{exception.pk}/decide/",
        {"decision": "reject", "comment": "  "})
    assert response.status_code == 409
    assert CommissionException.objects.get(pk=exception.pk).status == "pending"


def test_nobody_decides_an_exception_they_asked_for(client, month):
    from payouts.exceptions import commission_exception_request
    from payouts.models import ExceptionKind
    from tests.factories import LeadFactory

    asked = commission_exception_request(
        lead=LeadFactory(owner=month.people["vera"]), kind=ExceptionKind.EXCLUDE,
        reason="a test call, not a lead", requested_by=month.user("head_north"))
    response = _client(client, month, "sales_head").post(
        f"/api/commission-exceptions/{asked.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 409
    assert CommissionException.objects.get(pk=asked.pk).status == "pending"


# --- inquiries ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "expected"), [
    ("manager", {"anna"}), ("sales_head", {"anna"}), ("admin", {"anna", "boris"}),
    ("owner", {"anna", "boris"}),
])
def test_inquiries_listed_are_those_the_role_may_read(client, month, role, expected):
    rows = _client(client, month, role).get("/api/payout-inquiries/").json()["results"]
    assert {row["id"] for row in rows} == {month.inquiries[name].pk for name in expected}


@pytest.mark.parametrize(("role", "side", "expected"), [
    ("manager", "own", 403), ("manager", "other", 404),
    ("sales_head", "own", 200), ("sales_head", "other", 404),
    ("admin", "other", 200), ("owner", "own", 200),
])
def test_an_inquiry_is_decided_only_where_the_policy_allows_and_its_manager_is_told_once(
    client, month, role, side, expected, mailoutbox, django_capture_on_commit_callbacks
):
    inquiry = month.inquiries[PERSON[side]]
    before = _state(inquiry)
    with django_capture_on_commit_callbacks(execute=True):
        response = _client(client, month, role).post(
            f"/api/payout-inquiries/{inquiry.pk}/decide/",
            {"decision": "approve", "comment": "the calls are there, see the 14th"})
    assert response.status_code == expected
    if expected != 200:
        assert _state(inquiry) == before
        assert mailoutbox == []
        return
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.decided_by) == ("accepted", month.user(ROLES[role]))
    assert [m.to for m in mailoutbox] == [[f"{PERSON[side]}@example.com"]]
    assert PayoutInquiry.objects.get(pk=inquiry.pk).status == "accepted"
    assert Notification.objects.filter(event=f"inquiry:{inquiry.pk}:decided").count() == 1
