"""A sales head's month in a real browser (Chromium through Playwright): review, reject one
exception with a reason and approve another, approval refused while one is pending (with the
link to it), recomputed by the head and so approved by the owner (maker-checker), payroll
downloaded with totals equal to the
lines; the owner marks the month paid; another team's month and the current month stay shut.

Screenshots go to var/screenshots/ (not committed), to be looked at."""

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from payouts.models import PayoutLine, PayoutRun
from salesops.models import ROLE_GROUPS
from salesops.periods import current_month
from tests.payouts.helpers import compute
from tests.realservices import REPO

from .conftest import build_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SCREENSHOTS = Path(os.environ.get("SALESOPS_SCREENSHOTS", REPO / "var" / "screenshots"))


def _page(browser, locale="en-US"):
    context = browser.new_context(locale=locale, viewport={"width": 1440, "height": 900},
                                  accept_downloads=True)
    return context.new_page()


def _shot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"review-{name}.png"), full_page=True)


def _log_in(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret-pass-123")
    page.click("button[type=submit], input[type=submit]")


def test_a_head_reviews_decides_approves_and_exports_then_the_owner_marks_paid(
    live_server, browser, settings
):
    settings.REVIEW_RECOMPUTE_IN_THREAD = False
    # Earlier transactional tests flush the tables, the role groups kept by migrations too;
    # the people here need them to exist (the policy reads their roles, not the groups).
    for name in ROLE_GROUPS.values():
        Group.objects.get_or_create(name=name)
    month = build_month()
    run = month.runs["north"]
    open_month = compute(current_month(), month.north)
    url = live_server.url
    head = _page(browser)
    _log_in(head, url, "head.north")
    head.goto(f"{url}/review/?month=2026-11")
    assert head.locator("h1").inner_text().startswith("North: November 2026")
    assert head.locator("[data-figure=total]").inner_text() == "₽200.00"
    _shot(head, "team-month")

    # Approval is refused while exceptions are pending, each named with a link to decide it.
    head.click("text=Review and approve…")
    refusal = head.locator(".refusal-card")
    anna_exception, vera_exception = month.exceptions["anna"], month.exceptions["vera"]
    assert (f"An exception on lead «{anna_exception.lead}» (Anna Seller) is pending"
            in refusal.inner_text())
    _shot(head, "approve-refused")
    assert head.locator("button:has-text('Approve and lock')").is_disabled()
    head.click(f"a[href$='#exception-{anna_exception.pk}']")

    # Reject anna's with a reason (the button asks for one first), approve vera's.
    anna_form = head.locator(f"#exception-{anna_exception.pk} form")
    anna_form.locator("button[value=reject]").click()
    assert head.locator(f"#exception-{anna_exception.pk}").count() == 1  # not sent
    anna_form.locator("textarea").fill("no discount was agreed")
    anna_form.locator("button[value=reject]").click()
    decided = head.locator(".review-messages").inner_text()
    assert f"The exception on lead «{anna_exception.lead}» is rejected." in decided
    head.locator(f"#exception-{vera_exception.pk} form button[value=approve]").click()
    anna_exception.refresh_from_db()
    vera_exception.refresh_from_db()
    assert (anna_exception.status, anna_exception.decision_comment) == (
        "rejected", "no discount was agreed")
    assert vera_exception.status == "approved"

    # The decisions made the run stale: the head recomputes (a button with progress); whoever
    # asked for a computation does not approve it (SPEC §1), so the owner approves.
    head.click("text=Review and approve…")
    assert "recompute it first" in head.locator(".refusal-card").inner_text()
    head.click(".refusal-card button:has-text('Recompute')")
    head.wait_for_selector("text=Review and approve…")
    head.click("text=Review and approve…")
    assert "You asked for this computation" in head.locator(".refusal-card").inner_text()
    assert head.locator("button:has-text('Approve and lock')").is_disabled()
    owner = _page(browser)
    _log_in(owner, url, "owner")
    owner.goto(f"{url}/review/runs/{run.pk}/approve/")
    assert owner.locator(".refusal-card").count() == 0
    _shot(owner, "approve-confirmation")
    owner.click("button:has-text('Approve and lock')")
    assert "Approved" in owner.locator(".review-messages").inner_text()
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (PayoutRun.Status.APPROVED, month.user("owner"))

    # The payroll file: one row per person, totals equal to the lines.
    head.goto(f"{url}/review/?month=2026-11")
    with head.expect_download() as download:
        head.click("text=Payroll export (CSV)")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    lines = PayoutLine.objects.filter(run=run)
    assert sorted(r["Login"] for r in rows) == ["anna", "vera"]  # the head has no plan, no lines
    assert sum(Decimal(r["Total payable"]) for r in rows) == sum(
        line.amount for line in lines if not line.held)
    for row in rows:
        assert Decimal(row["Total payable"]) == sum(
            line.amount for line in lines if not line.held and
            line.manager.user.username == row["Login"])

    # Another team's month, and the open month, stay shut.
    assert head.goto(f"{url}/review/?month=2026-11&team=south").status == 404
    south = month.runs["south"]
    assert head.goto(f"{url}/review/runs/{south.pk}/approve/").status == 404
    head.goto(f"{url}/review/runs/{open_month.pk}/approve/")
    assert "has not ended yet" in head.locator(".refusal-card").inner_text()
    assert head.locator("button:has-text('Approve and lock')").is_disabled()
    open_month.refresh_from_db()
    assert open_month.status != PayoutRun.Status.APPROVED

    # The owner sees every team side by side and marks the approved month paid.
    owner.goto(f"{url}/review/overview/?month=2026-11")
    assert owner.locator("table.overview tbody tr").count() == 2
    _shot(owner, "overview")
    owner.click("table.overview >> text=North")
    owner.click("text=Mark paid…")
    # It cannot be undone: a page says what it records (people, amounts, the month) first.
    assert run.status == PayoutRun.Status.APPROVED
    confirm = owner.locator("#paid-people").inner_text()
    assert "Anna Seller" in confirm and "Vera Seller" in confirm
    _shot(owner, "mark-paid-confirmation")
    owner.click("button:has-text('for November 2026 paid')")
    assert "Marked paid: North, November 2026." in owner.locator(".review-messages").inner_text()
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.PAID
    history = owner.locator("table.history tr", has_text="Marked paid")
    assert history.inner_text().split("\t")[1:] == ["owner", "Marked paid"]
    steps = [(t.to_status, t.by and t.by.username) for t in run.transitions.order_by("at", "pk")]
    assert steps[-2:] == [
        ("approved", "owner"), ("paid", "owner")]
