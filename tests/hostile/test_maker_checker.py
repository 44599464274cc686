"""Maker-checker on payout runs is one rule at every door (SPEC §1): whoever requested a
computation of a run — on the review page, with the admin's "Compute again", through the API or
a command — does not approve it, through any door; the request is recorded with the person's
name when it is made, and the run's history names them. A refused approval changes nothing."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from payouts.lifecycle import COMPUTE_REQUESTED, payout_run_history
from payouts.models import PayoutRun, PayoutRunTransition
from salesops.inputs.models import AuditEntry
from tests.review.conftest import build_month

pytestmark = pytest.mark.django_db
COMPUTED, APPROVED = PayoutRun.Status.COMPUTED, PayoutRun.Status.APPROVED


@pytest.fixture
def month(settings):
    settings.REVIEW_RECOMPUTE_IN_THREAD = False
    return build_month()


def _state(run):
    run.refresh_from_db()
    return (run.status, run.approved_by_id, PayoutRunTransition.objects.filter(run=run).count(),
            AuditEntry.objects.exclude(action=COMPUTE_REQUESTED).count())


# --- the doors that request a computation --------------------------------------------------

def _page_recompute(client, month, run, who):
    client.force_login(month.user(who))
    assert client.post(f"/review/runs/{run.pk}/recompute/").status_code == 302


def _admin_compute_again(client, month, run, who):
    client.force_login(month.user(who))
    response = client.post("/admin/payouts/payoutrun/", {
        "action": "compute_again", "_selected_action": [run.pk]})
    assert response.status_code == 302


def _api_recompute(client, month, run, who):
    client.force_login(month.user(who))
    assert client.post(f"/api/payout-runs/{run.pk}/recompute/").status_code == 202


def _command_compute(client, month, run, who):
    call_command("compute_payouts", f"{run.month:%Y-%m}", "--team", run.team.code,
                 "--by", month.user(who).username, stdout=io.StringIO())


REQUESTS = {"review page Recompute": _page_recompute, "admin Compute again": _admin_compute_again,
            "API recompute": _api_recompute, "compute_payouts --by": _command_compute}


# --- the doors that approve ------------------------------------------------------------------

def _page_approve(client, month, run, who):
    client.force_login(month.user(who))
    client.post(f"/review/runs/{run.pk}/approve/")


def _api_approve(client, month, run, who):
    client.force_login(month.user(who))
    response = client.post(f"/api/payout-runs/{run.pk}/approve/")
    if response.status_code == 409:
        assert "Whoever asked for a computation" in response.json()["detail"]


def _admin_approve(client, month, run, who):
    client.force_login(month.user(who))
    client.post("/admin/payouts/payoutrun/", {"action": "approve", "_selected_action": [run.pk]})


def _command_approve(client, month, run, who):
    try:
        call_command("approve_payouts", f"{run.month:%Y-%m}", "--team", run.team.code,
                     "--by", month.user(who).username, stdout=io.StringIO())
    except CommandError as error:
        assert "Whoever asked for a computation" in str(error)


APPROVALS = {"review page": _page_approve, "API": _api_approve, "admin action": _admin_approve,
             "approve_payouts": _command_approve}


@pytest.mark.parametrize("approve", APPROVALS.values(), ids=APPROVALS.keys())
@pytest.mark.parametrize("request_door", REQUESTS.values(), ids=REQUESTS.keys())
def test_whoever_requested_a_computation_through_any_door_cannot_approve_through_any_door(
        client, month, request_door, approve, django_capture_on_commit_callbacks):
    run = month.runs["north"]
    _exceptions_decided(month)  # nothing else blocks the approval
    with django_capture_on_commit_callbacks(execute=True):
        request_door(client, month, run, "owner")
    assert _state(run)[0] == COMPUTED
    before = _state(run)
    approve(client, month, run, "owner")
    assert _state(run) == before
    # Through the same door, someone who did not ask for it approves.
    approve(client, month, run, "head_north")
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (APPROVED, month.user("head_north"))


@pytest.mark.parametrize("request_door", REQUESTS.values(), ids=REQUESTS.keys())
def test_the_request_is_recorded_with_the_persons_name_and_the_history_names_them(
        client, month, request_door):
    run = month.runs["north"]
    request_door(client, month, run, "head_north")
    run.refresh_from_db()
    head = month.user("head_north")
    assert run.requested_by == head
    entry = AuditEntry.objects.get(action=COMPUTE_REQUESTED, object_id=run.pk)
    assert entry.by == head
    steps = [(step.by, str(step.note)) for step in payout_run_history(run=run)]
    assert (head, "computation requested") in steps
    client.force_login(head)
    page = client.get("/review/?month=2026-11&team=north").content.decode()
    assert "Computation requested" in page


def _exceptions_decided(month):
    """The north run's pending exceptions rejected (by the owner), which makes it stale."""
    from payouts.exceptions import commission_exception_reject

    for name in ("anna", "vera"):
        commission_exception_reject(exception=month.exceptions[name],
                                    rejected_by=month.user("owner"), comment="not agreed")


def test_someone_else_approves_a_run_another_person_recomputed(
        client, month, django_capture_on_commit_callbacks):
    run = month.runs["north"]
    _exceptions_decided(month)
    with django_capture_on_commit_callbacks(execute=True):
        _page_recompute(client, month, run, "head_north")
    run.refresh_from_db()
    assert run.status == COMPUTED
    client.force_login(month.user("owner"))
    response = client.post(f"/api/payout-runs/{run.pk}/approve/")
    assert response.status_code == 200, json.dumps(response.json())
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (APPROVED, month.user("owner"))


def _recomputed_by_the_scheduled_job(month, run):
    from payouts.tasks import recompute_payout_run_changes

    _exceptions_decided(month)
    recompute_payout_run_changes.apply(kwargs={"run_id": run.pk, "synchronous": True})


def test_a_run_computed_by_the_scheduled_job_is_approved_by_the_head(client, month):
    run = month.runs["north"]
    _recomputed_by_the_scheduled_job(month, run)
    _api_approve(client, month, run, "head_north")
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (APPROVED, month.user("head_north"))


def test_a_locked_run_is_not_recomputed_through_the_api_and_nothing_is_recorded(client, month):
    run = month.runs["north"]
    _recomputed_by_the_scheduled_job(month, run)
    _api_approve(client, month, run, "head_north")
    run.refresh_from_db()
    assert run.status == APPROVED
    client.force_login(month.user("owner"))
    response = client.post(f"/api/payout-runs/{run.pk}/recompute/")
    assert response.status_code == 409
    assert not AuditEntry.objects.filter(action=COMPUTE_REQUESTED).exists()


def test_a_manager_may_not_request_a_computation_through_the_api(client, month):
    run = month.runs["north"]
    client.force_login(month.user("anna"))
    assert client.post(f"/api/payout-runs/{run.pk}/recompute/").status_code == 403
    assert not AuditEntry.objects.filter(action=COMPUTE_REQUESTED).exists()
