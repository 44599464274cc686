"""The team month read model and its pages (SPEC §2, §5, §7): a row per person with attainment,
pay by component, total, held and change against last month; flags a head looks at before
approving; decisions in place; approval's confirmation and refusals; the owner's overview."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payouts.models import PayoutRun
from payouts.review import selectors
from payouts.review.models import Notification
from salesops.models import Outcome
from tests.factories import LeadFactory, LeadMilestoneFactory
from tests.payouts.factories import calls
from tests.payouts.helpers import NOVEMBER, compute, moscow

pytestmark = pytest.mark.django_db


def _row(data, name):
    return next(p for p in data.people if p.name.startswith(name.title()))


def test_one_row_per_person_with_attainment_pay_by_component_total_and_held(month):
    data = selectors.team_month(run=month.runs["north"])
    # The head is paid by the team's run too (a team bonus, when the plan has one).
    assert [p.name for p in data.people] == ["head.north", "Anna Seller", "Vera Seller"]
    anna = _row(data, "anna")
    assert (anna.conversations.actual, anna.conversations.percent) == (Decimal(12), 120)
    # Revenue as pay counts it (SPEC §7): Anna's 200 000 wait on a pending exception, so they
    # are held (the held column), not counted toward her plan until it is decided.
    assert (anna.revenue.actual, anna.revenue.percent) == (Decimal("0.00"), 0)
    # A column is what the component pays; what a pending exception holds is under "held".
    assert anna.by_kind == {"per_conversation": Decimal("120.00"),
                            "revenue_percent": Decimal("0.00")}
    assert (anna.total, anna.held) == (Decimal("120.00"), Decimal("20000.00"))
    assert (data.total, data.held) == (Decimal("200.00"), Decimal("25000.00"))
    assert anna.previous_total is None  # no run last month: no change to show


def test_pending_exceptions_are_listed_with_the_amount_their_items_hold(month):
    data = selectors.team_month(run=month.runs["north"])
    assert [(e.id, e.at_stake) for e in data.exceptions] == [
        (month.exceptions["anna"].pk, Decimal("20000.00")),
        (month.exceptions["vera"].pk, Decimal("5000.00")),
    ]
    assert [i.id for i in data.inquiries] == [month.inquiries["anna"].pk]
    assert [f.code for f in _row(data, "anna").flags] == ["pending_exceptions", "open_inquiries"]


def test_confirmations_far_above_the_teams_rate_are_flagged(month):
    vera = month.people["vera"]
    for _ in range(6):
        LeadMilestoneFactory(lead=LeadFactory(owner=vera), kind="confirmed",
                             at=moscow(2026, 11, 6, 12, 0))
    anna = month.people["anna"]
    LeadMilestoneFactory(lead=LeadFactory(owner=anna), kind="confirmed",
                         at=moscow(2026, 11, 6, 12, 0))
    # The page shows what the run counted: the month computed again with the new leads.
    data = selectors.team_month(run=compute(NOVEMBER, month.north))
    assert [f.code for f in _row(data, "vera").flags if f.code == "fake_leads"] == ["fake_leads"]
    assert [f.code for f in _row(data, "anna").flags if f.code == "fake_leads"] == []


def test_many_conversations_just_over_the_threshold_are_flagged_as_empty(month):
    anna = month.people["anna"]
    calls(anna, 25, started_at=moscow(2026, 11, 7, 10, 0), talk_s=16, duration_s=20,
          outcome=Outcome.SECRETARY)
    run = compute(NOVEMBER, month.north)
    data = selectors.team_month(run=run)
    texts = [f.text for f in _row(data, "anna").flags if f.code == "empty_conversations"]
    assert texts == ["25 of 37 conversations just over the threshold (under 5 s more): "
                     "empty conversations?"]
    assert [f.code for f in _row(data, "vera").flags if f.code == "empty_conversations"] == []


def test_the_team_month_reads_a_bounded_number_of_queries_whatever_the_team_size(month):
    run = month.runs["north"]
    with CaptureQueriesContext(connection) as first:
        selectors.team_month(run=run)
    for name in ("xenia", "yuri", "zoe"):
        from tests.review.conftest import _seller

        _seller(name, month.north, conversations=3, payment=Decimal("1000.00"))
    run = compute(NOVEMBER, month.north)
    with CaptureQueriesContext(connection) as second:
        selectors.team_month(run=run)
    assert len(second) == len(first)


# --- pages ---------------------------------------------------------------------------------------

def test_the_head_lands_on_own_teams_last_month(client, month):
    client.force_login(month.user("head_north"))
    response = client.get("/review/?month=2026-11")
    assert response.status_code == 200
    assert response.context["run"] == month.runs["north"]
    assert b"Anna Seller" in response.content and b"Boris" not in response.content


def test_a_head_cannot_open_another_teams_month(client, month):
    client.force_login(month.user("head_north"))
    assert client.get("/review/?month=2026-11&team=south").status_code == 404
    south = month.runs["south"]
    for url in (f"/review/runs/{south.pk}/approve/", f"/review/runs/{south.pk}/people/",
                f"/review/runs/{south.pk}/export/"):
        assert client.get(url).status_code == 404, url
    before = PayoutRun.objects.filter(pk=south.pk).values().get()
    assert client.post(f"/review/runs/{south.pk}/approve/").status_code == 404
    assert client.post(f"/review/runs/{south.pk}/recompute/").status_code == 404
    assert PayoutRun.objects.filter(pk=south.pk).values().get() == before


def test_the_confirmation_lists_what_blocks_approval_each_with_a_link(client, month):
    client.force_login(month.user("head_north"))
    run = month.runs["north"]
    response = client.get(f"/review/runs/{run.pk}/approve/")
    page = response.content.decode()
    assert response.context["preview"].total == Decimal("200.00")
    for name in ("anna", "vera"):
        assert f"#exception-{month.exceptions[name].pk}" in page
    response = client.post(f"/review/runs/{run.pk}/approve/", follow=True)
    assert "Pending exceptions hold money in this run" in response.content.decode()
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPUTED


def test_a_rejection_in_place_needs_a_reason(client, month):
    client.force_login(month.user("head_north"))
    exception = month.exceptions["anna"]
    response = client.post(f"/review/exceptions/{exception.pk}/decide/",
                           {"decision": "reject", "comment": ""}, follow=True)
    assert "A rejection needs a reason." in response.content.decode()
    exception.refresh_from_db()
    assert exception.status == "pending"
    client.post(f"/review/exceptions/{exception.pk}/decide/",
                {"decision": "reject", "comment": "not agreed with anyone"})
    exception.refresh_from_db()
    assert (exception.status, exception.decision_comment) == ("rejected", "not agreed with anyone")


def test_the_current_month_cannot_be_approved(client, month):
    from salesops.periods import current_month

    run = compute(current_month(), month.north)
    client.force_login(month.user("head_north"))
    page = client.get(f"/review/runs/{run.pk}/approve/").content.decode()
    assert "has not ended yet" in page
    client.post(f"/review/runs/{run.pk}/approve/")
    run.refresh_from_db()
    assert run.status != PayoutRun.Status.APPROVED


def test_recompute_is_queued_and_the_progress_says_people_done(client, month):
    client.force_login(month.user("head_north"))
    run = month.runs["north"]
    response = client.post(f"/review/runs/{run.pk}/recompute/")
    assert response.status_code == 302
    progress = client.get(f"/review/runs/{run.pk}/progress/").json()
    assert progress == {"status": "computed", "done": 3, "total": 3, "finished": True}


def test_the_owner_overview_shows_every_team_and_the_runs_waiting(client, month):
    client.force_login(month.user("owner"))
    response = client.get("/review/overview/?month=2026-11")
    data = response.context["data"]
    assert [(t.team.code, t.total, t.held) for t in data.teams] == [
        ("north", Decimal("200.00"), Decimal("25000.00")),
        ("south", Decimal("50.00"), Decimal("8000.00"))]
    assert {r.pk for r in data.waiting} == {month.runs["north"].pk, month.runs["south"].pk}
    client.force_login(month.user("head_north"))
    assert client.get("/review/overview/").status_code == 403


def test_a_month_ready_for_review_mails_its_head_once(month, mailoutbox):
    from payouts import notifications

    run = month.runs["north"]
    assert notifications.run_ready_for_review(run) == 1
    assert notifications.run_ready_for_review(run) == 0
    assert [m.to for m in mailoutbox] == [["head.north@example.com"]]
    assert mailoutbox[0].subject == "North: pay for November 2026 is ready to review"


def test_the_open_month_mails_nobody_while_it_is_recomputed(month, mailoutbox):
    from payouts import notifications
    from salesops.periods import current_month

    assert notifications.run_ready_for_review(compute(current_month(), month.north)) == 0
    assert mailoutbox == []


def test_approval_mails_each_manager_of_the_run_once_on_commit(
    month, mailoutbox, django_capture_on_commit_callbacks
):
    from payouts import notifications
    from payouts.lifecycle import payout_run_approve
    from tests.review.test_review_api import _decide_all

    run = _decide_all(month, "north", by=month.user("owner"))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        payout_run_approve(run=run, approved_by=month.user("head_north"))
    approved = sorted(m.to[0] for m in mailoutbox if "is approved" in m.subject)
    assert approved == ["anna@example.com", "head.north@example.com", "vera@example.com"]
    assert notifications.run_approved(run) == 0
    assert Notification.objects.filter(event=f"run:{run.pk}:approved").count() == 3


def test_a_head_requests_an_exception_on_a_lead_of_the_team_and_not_of_another(client, month):
    from payouts.models import CommissionException
    from tests.factories import LeadFactory

    ours, theirs = LeadFactory(owner=month.people["vera"]), LeadFactory(owner=month.people["boris"])
    client.force_login(month.user("head_north"))
    client.post("/review/exceptions/request/", {"lead": ours.pk, "kind": "exclude",
                                                "reason": "a test call, not a lead"})
    asked = CommissionException.objects.get(lead=ours)
    assert (asked.kind, asked.status, asked.requested_by) == (
        "exclude", "pending", month.user("head_north"))
    response = client.post("/review/exceptions/request/", {
        "lead": theirs.pk, "kind": "exclude", "reason": "not ours to ask"}, follow=True)
    assert f"No lead #{theirs.pk} in your team." in response.content.decode()
    assert not CommissionException.objects.filter(lead=theirs).exists()


def test_the_team_month_reads_in_russian(client, month):
    client.force_login(month.user("head_north"))
    page = client.get("/review/?month=2026-11", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "ноябрь 2026" in page
    assert "200,00\xa0₽" in page
    assert "Проверить и утвердить…" in page
