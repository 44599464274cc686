"""Issue 10 in a real browser: a manager logs in, reads the month, drills into a line, asks
about it, cannot open another manager's line or statement, and reads it all in Russian.

Screenshots go to var/screenshots/ (kept by CI as artifacts, not committed)."""

import os
from pathlib import Path

import pytest
from django.urls import reverse

from payouts.inquiries import inquiries_visible_to
from payouts.models import ComponentKind, PayoutLine
from tests.earnings.conftest import PASSWORD, build_month
from tests.realservices import REPO

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SHOTS = REPO / "var" / "screenshots"


def _page(browser, locale="en-US"):
    return browser.new_context(locale=locale, viewport={"width": 1280, "height": 900}).new_page()


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/earnings/")


def _shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def _month_url(live_server):
    return f"{live_server.url}{reverse('earnings:month')}?month=2026-11"


def test_manager_sees_the_engines_total_and_components(live_server, browser):
    month = build_month()
    page = _page(browser)
    _login(page, live_server, "anna")
    page.goto(_month_url(live_server))
    assert page.locator("#e-total").inner_text() == "₽15,800.00"
    shown = {row.get_attribute("data-line"): row.locator("td.amount").inner_text()
             for row in page.locator("#e-components tbody tr").all()}
    lines = PayoutLine.objects.filter(manager=month.anna, held=False)
    assert shown == {str(line.pk): f"₽{line.amount:,.2f}" for line in lines}
    page.wait_for_load_state("load")  # the chart draws on DOMContentLoaded
    _shot(page, "earnings-month.png")


def test_drilldown_lists_the_calls_the_line_counted(live_server, browser):
    month = build_month()
    page = _page(browser)
    _login(page, live_server, "anna")
    page.goto(_month_url(live_server))
    line = PayoutLine.objects.get(manager=month.anna, kind=ComponentKind.PER_CONVERSATION)
    page.locator(f"tr[data-line='{line.pk}'] a", has_text="Why?").click()
    page.wait_for_url(f"**/earnings/2026-11/{month.anna.pk}/per_conversation/")
    assert page.locator("#l-calls tbody tr").count() == len(month.calls)
    assert page.locator("#l-arithmetic").inner_text() == "12 conversations × ₽10.00 = ₽120.00"
    _shot(page, "earnings-line.png")


def test_an_inquiry_reaches_the_sales_heads_queue(live_server, browser):
    month = build_month()
    page = _page(browser)
    _login(page, live_server, "anna")
    line = PayoutLine.objects.get(manager=month.anna, kind=ComponentKind.PER_CONFIRMED_LEAD)
    page.goto(f"{live_server.url}{reverse('earnings:line', args=[line.pk])}")
    page.fill("#id_comment", "This lead was mine, and so was the one on the 14th")
    page.click("text=Send to my sales head")
    assert page.locator("#l-inquiry .badge").inner_text() == "open"
    queue = list(inquiries_visible_to(month.head.user))
    assert [(q.manager, q.comment) for q in queue] == [
        (month.anna, "This lead was mine, and so was the one on the 14th")]
    _shot(page, "earnings-inquiry.png")


def test_another_managers_line_or_statement_is_404(live_server, browser):
    month = build_month()
    page = _page(browser)
    _login(page, live_server, "anna")
    line = PayoutLine.objects.filter(manager=month.boris).first()
    response = page.goto(f"{live_server.url}{reverse('earnings:line', args=[line.pk])}")
    assert response.status == 404
    response = page.goto(f"{live_server.url}{reverse('earnings:statement')}"
                         f"?month=2026-11&manager={month.boris.pk}")
    assert response.status == 404


def test_statement_shows_the_payroll_totals(live_server, browser):
    build_month()
    page = _page(browser)
    _login(page, live_server, "anna")
    page.goto(_month_url(live_server))
    page.locator("#e-statements a", has_text="View").first.click()
    page.wait_for_url("**/earnings/statement/?month=2026-11")
    assert page.locator("#s-lines tfoot tr").last.inner_text().split("\t")[-1] == "₽15,800.00"
    _shot(page, "earnings-statement.png")


def test_the_russian_page_writes_money_and_months_in_russian(live_server, browser):
    build_month()
    page = _page(browser, locale="ru-RU")
    _login(page, live_server, "anna")
    page.goto(_month_url(live_server))
    assert page.locator("h1").inner_text() == "Моя оплата, ноябрь 2026"
    assert page.locator("#e-total").inner_text().replace("\xa0", " ") == "15 800,00 ₽"
    body = page.locator("main").inner_text()
    for english in ("Provisional", "Earned", "Plan progress", "Why?", "Statements", "working"):
        assert english not in body
    _shot(page, "earnings-month-ru.png")
