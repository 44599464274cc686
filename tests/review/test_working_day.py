"""The review pages say what is going on (issue 18): who changed since the computation, by name,
with a Recompute button and its progress on the team month; every step of a month with who
took it; Mark paid asks first, showing people, amounts and the month; the overview says per
team what to look at; the audit trail reads in words."""

import re
from decimal import Decimal

import pytest

from payouts.exceptions import commission_exception_approve
from payouts.lifecycle import payout_run_approve, payout_run_mark_paid
from payouts.models import PayoutRun
from salesops.audit_words import audit_entry_text
from salesops.inputs import mark_months
from salesops.models import AuditEntry, Role
from salesops.services import manager_set_role
from tests.payouts.helpers import NOVEMBER, compute

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _approved_north(month):
    """North's November with its exceptions decided by the owner, recomputed, approved by the
    head."""
    owner = month.user("owner")
    for name in ("anna", "vera"):
        commission_exception_approve(exception=month.exceptions[name], approved_by=owner)
    run = compute(NOVEMBER, month.north)
    return payout_run_approve(run=run, approved_by=month.user("head_north"))


def test_the_team_month_names_who_changed_since_the_computation_and_offers_recompute(
    client, month
):
    run = month.runs["north"]
    mark_months(manager_ids=[month.people["anna"].pk], months=[NOVEMBER])
    client.force_login(month.user("head_north"))
    response = client.get("/review/?team=north&month=2026-11")
    assert [(s.name, s.reason) for s in response.context["stale"]] == [
        ("Anna Seller", "inputs changed")]
    page = _text(response)
    assert "1 person changed since the computation" in page
    assert "Anna Seller — inputs changed" in page
    assert f'action="/review/runs/{run.pk}/recompute/"' in response.content.decode()
    assert "Manager #" not in page


def test_after_asking_to_recompute_the_team_month_follows_the_progress(client, month):
    run = month.runs["north"]
    client.force_login(month.user("head_north"))
    response = client.post(f"/review/runs/{run.pk}/recompute/")
    assert response["Location"] == (
        f"/review/?team=north&month=2026-11&recomputing={run.generation}#progress")
    page = client.get(response["Location"].split("#")[0]).content.decode()
    assert re.search(r'id="progress" data-progress-url="/review/runs/\d+/progress/"', page)
    assert "data-waiting" in page


def test_every_step_of_the_month_names_who_took_it(client, month):
    run = _approved_north(month)
    head, owner = month.user("head_north"), month.user("owner")
    client.force_login(head)
    client.get(f"/review/runs/{run.pk}/export/?format=xlsx")
    payout_run_mark_paid(run=run, paid_by=owner)
    client.force_login(owner)
    history = client.get("/review/?team=north&month=2026-11").context["history"]
    assert [(step.who, step.text) for step in history] == [
        ("scheduled task", "Computation started"),
        ("scheduled task", "Computed"),
        ("scheduled task", "Computation started again (everyone computed again)"),
        ("scheduled task", "Computed"),
        ("head.north", "Approved: the month is locked"),
        ("head.north", "Payroll exported (XLSX)"),
        ("owner", "Marked paid"),
    ]


def test_a_computation_someone_asked_for_is_credited_to_them(client, month):
    head = month.user("head_north")
    compute(NOVEMBER, month.north, requested_by=head)
    client.force_login(head)
    history = client.get("/review/?team=north&month=2026-11").context["history"]
    assert [(step.who, step.text) for step in history[-2:]] == [
        ("head.north", "Computation started again (everyone computed again)"),
        ("head.north", "Computed"),
    ]


def test_mark_paid_asks_first_showing_people_amounts_and_the_month(client, month):
    run = _approved_north(month)
    client.force_login(month.user("owner"))
    page = client.get(f"/review/runs/{run.pk}/mark-paid/")
    text = _text(page)
    assert "Mark the pay of North for November 2026 paid" in text
    assert [(p.name, p.total, p.held) for p in page.context["paid_people"]] == [
        ("Anna Seller", Decimal("10120.00"), Decimal("0.00")),
        ("Vera Seller", Decimal("2580.00"), Decimal("0.00")),
    ]
    assert "Mark ₽12,700.00 for November 2026 paid" in text
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.APPROVED

    response = client.post(f"/review/runs/{run.pk}/mark-paid/")
    assert response.status_code == 302
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.PAID


def test_a_head_may_not_mark_paid_even_on_the_confirmation_page(client, month):
    run = _approved_north(month)
    client.force_login(month.user("head_north"))
    assert client.get(f"/review/runs/{run.pk}/mark-paid/").status_code == 403
    assert client.post(f"/review/runs/{run.pk}/mark-paid/").status_code == 403
    assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.APPROVED


def test_the_overview_says_per_team_what_to_look_at(client, month):
    mark_months(manager_ids=[month.people["boris"].pk], months=[NOVEMBER])
    client.force_login(month.user("owner"))
    response = client.get("/review/overview/?month=2026-11")
    attention = response.context["attention"]
    assert {code: [f.text for f in attention[team.pk]]
            for code, team in (("north", month.north), ("south", month.south))} == {
        "north": ["2 pending exceptions", "1 open inquiry"],
        "south": ["1 pending exception", "1 open inquiry",
                  "1 person changed since the computation"],
    }


def test_the_audit_trail_says_an_approval_in_words(month):
    run = _approved_north(month)
    entry = AuditEntry.objects.get(action="payout_run_approved", object_id=run.pk)
    assert audit_entry_text(entry) == (
        "Approved the pay of North for November 2026: ₽12,700.00 to pay, ₽0.00 held.")


def test_the_audit_trail_says_marking_paid_and_exporting_in_words(client, month):
    run = _approved_north(month)
    client.force_login(month.user("owner"))
    client.get(f"/review/runs/{run.pk}/export/?format=csv")
    payout_run_mark_paid(run=run, paid_by=month.user("owner"))
    words = [audit_entry_text(e) for e in AuditEntry.objects.filter(
        action__in=["payroll_exported", "payout_run_paid"]).order_by("at", "pk")]
    assert words == ["Exported the payroll of North for November 2026 (CSV, 2 people).",
                     "Marked the pay of North for November 2026 paid."]


def test_the_audit_trail_says_a_role_change_in_words(month):
    vera = month.people["vera"]
    manager_set_role(manager=vera, role=Role.SALES_HEAD, team=month.north,
                     by=month.user("owner"))
    entry = AuditEntry.objects.get(action="role_granted", object_id=vera.pk)
    assert audit_entry_text(entry) == "Made Vera Seller sales head of North."


def test_the_audit_trail_says_an_exception_decision_in_words(month):
    exception = month.exceptions["anna"]
    commission_exception_approve(exception=exception, approved_by=month.user("owner"))
    entry = AuditEntry.objects.get(action="exception_approved")
    assert audit_entry_text(entry) == (
        f"Approved the exception on lead «{exception.lead}»: another rate for this lead.")


def test_an_action_with_no_words_of_its_own_still_reads_in_words(month):
    entry = AuditEntry(action="payment_created", object_type="leads.payment", object_id=7,
                       before={}, after={})
    assert audit_entry_text(entry) == "Payment 7: created"


def test_the_admins_audit_trail_lists_words_not_codes(client, month):
    _approved_north(month)
    client.force_login(month.user("admin"))
    page = _text(client.get("/admin/salesops/auditentry/"))
    assert "Approved the pay of North for November 2026" in page
    assert "payout_run_approved" not in page and "exception_requested" not in page


# --- mail links --------------------------------------------------------------------------------

def test_mail_links_point_at_the_configured_site_url(month, mailoutbox, settings):
    from payouts import notifications

    settings.SALESOPS_SITE_URL = "https://pay.example.com"
    notifications.run_ready_for_review(month.runs["north"])
    assert mailoutbox[0].body.endswith(
        "Review and approve it: https://pay.example.com/review/?team=north&month=2026-11")


def test_an_answered_question_mails_the_lasting_address_of_its_line(month, mailoutbox, settings):
    from payouts import notifications
    from payouts.inquiries import inquiry_decide

    settings.SALESOPS_SITE_URL = "http://127.0.0.1:8101/"
    inquiry = inquiry_decide(inquiry=month.inquiries["anna"], accepted=False,
                             comment="the calls of the 14th are there",
                             decided_by=month.user("head_north"))
    notifications.inquiry_decided(inquiry)
    anna = month.people["anna"]
    assert mailoutbox[-1].body.splitlines()[-1] == (
        f"The line: http://127.0.0.1:8101/earnings/2026-11/{anna.pk}/per_conversation/")


def test_after_a_decision_the_team_month_says_at_once_who_it_made_out_of_date(client, month):
    client.force_login(month.user("owner"))
    before = client.get("/review/?team=north&month=2026-11").context["stale"]
    commission_exception_approve(exception=month.exceptions["anna"],
                                 approved_by=month.user("owner"))
    after = client.get("/review/?team=north&month=2026-11").context["stale"]
    assert (before, [(s.name, s.reason) for s in after]) == (
        [], [("Anna Seller", "inputs changed")])


def test_the_audit_trail_says_writes_of_pay_inputs_in_words(month):
    import datetime

    from leads.models import Lead
    from leads.services import payment_create
    from salesops.inputs.activity import target_set

    admin, anna = month.user("admin"), month.people["anna"]
    lead = Lead.objects.filter(owner=anna).first()
    payment_create(lead=lead, amount=Decimal("5000.00"), received_on=datetime.date(2026, 12, 3),
                   by=admin)
    target_set(manager=anna, month=datetime.date(2026, 12, 1), conversations=300,
               confirmed_leads=20, revenue=Decimal("250000.00"), by=admin)
    words = [audit_entry_text(e) for e in AuditEntry.objects.filter(
        action__in=["payment_received", "targets_set"]).order_by("at", "pk")]
    assert words == [
        f"Payment of ₽5,000.00 on lead «{lead}», 03.12.2026.",
        "Targets of Anna Seller for December 2026: 300 conversations, 20 confirmed leads, "
        "₽250,000.00 of revenue.",
    ]
