"""Pages fit the screens people use (issue 18), in Chromium: a 1366×768 laptop, a 1920×1080
monitor and a 390×844 phone. On the team month and the owner's overview the columns a head
decides by — who, total, held, what to look at — are within the window (the first column stays,
the components scroll inside the table, never the page); the manager's month reads on a phone
without sideways scrolling. Each page is saved as a screenshot (var/screenshots/) to be looked
at, in Russian, on the demo organisation (its plans pay by many components)."""

import os
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from leads.models import Lead
from payouts.exceptions import commission_exception_request
from payouts.inquiries import inquiry_raise
from payouts.models import ExceptionKind, PayoutLine
from salesops.models import ROLE_GROUPS, Manager, Role
from tests.realservices import REPO

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SHOTS = REPO / "var" / "screenshots"
SIZES = {"laptop": (1366, 768), "monitor": (1920, 1080), "phone": (390, 844)}
DECISIVE = ("person", "total", "held", "flags")
MONTH = "2026-11"


@pytest.fixture
def demo(settings):
    """The demo organisation's November (three teams, nine managers), computed; in North a
    manager has asked for an exception and about a line, so the flags column has words."""
    settings.REVIEW_RECOMPUTE_IN_THREAD = False
    for name in ROLE_GROUPS.values():  # emptied by earlier transactional tests
        Group.objects.get_or_create(name=name)
    call_command("seed_demo", "--managers=9", "--days=30", "--end=2026-11-30",
                 stdout=StringIO())
    seller = Manager.objects.filter(team__code="north", role=Role.MANAGER).order_by("pk").first()
    commission_exception_request(
        lead=Lead.objects.filter(owner=seller).first(), kind=ExceptionKind.EXCLUDE,
        reason="a test call, not a client", requested_by=seller.user)
    line = PayoutLine.objects.filter(manager=seller, month="2026-11-01").first()
    inquiry_raise(line=line, comment="calls of the 14th are missing", raised_by=seller.user)


def _open(browser, live_server, size, username, path):
    width, height = SIZES[size]
    page = browser.new_context(locale="ru-RU", viewport={"width": width, "height": height},
                               device_scale_factor=1).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}{path}")
    return page


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"fit-{name}.png"))
    page.screenshot(path=str(SHOTS / f"fit-{name}-whole.png"), full_page=True)


def _no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _outside_the_window(page, row) -> list[str]:
    """The decisive cells of ``row`` that are not wholly within the window's width."""
    width = page.viewport_size["width"]
    outside = []
    for column in DECISIVE:
        cell = row.locator(f"[data-col={column}]")
        cell.scroll_into_view_if_needed()
        box = cell.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width + 0.5:
            outside.append(column)
    return outside


def test_the_team_month_keeps_who_total_held_and_flags_in_the_window(
    live_server, browser, demo
):
    for size in SIZES:
        page = _open(browser, live_server, size, "head.north",
                     f"/review/?team=north&month={MONTH}")
        rows = page.locator("table.team-month tbody tr")
        assert rows.count() == 4  # the head and three managers
        assert page.locator("table.team-month td.flags .flag").count() >= 2
        page.locator("#people").scroll_into_view_if_needed()
        _shot(page, f"team-month-{size}")
        assert [(size, i, _outside_the_window(page, rows.nth(i)))
                for i in range(rows.count())] == [(size, i, []) for i in range(rows.count())]
        assert _no_sideways_scroll(page), size
        if size != "phone":
            # The components are still there: inside the table, which scrolls, not the page.
            assert page.locator("table.team-month th.component").count() >= 3


def test_the_overview_keeps_team_total_held_and_flags_in_the_window(live_server, browser, demo):
    for size in SIZES:
        page = _open(browser, live_server, size, "owner", f"/review/overview/?month={MONTH}")
        rows = page.locator("table.overview tbody tr")
        assert rows.count() == 3
        assert page.locator("table.overview td.flags .flag").count() >= 2
        page.locator("#teams").scroll_into_view_if_needed()
        _shot(page, f"overview-{size}")
        assert [(size, _outside_the_window(page, rows.nth(i))) for i in range(3)] == [
            (size, [])] * 3
        assert _no_sideways_scroll(page), size


def test_the_managers_month_reads_without_sideways_scrolling(live_server, browser, demo):
    for size in SIZES:
        page = _open(browser, live_server, size, "manager01", f"/earnings/?month={MONTH}")
        page.wait_for_load_state("load")  # the chart draws on DOMContentLoaded
        _shot(page, f"manager-month-{size}")
        assert _no_sideways_scroll(page), size
        width = page.viewport_size["width"]
        amounts = page.locator("#e-components td.amount, #e-components a")
        assert amounts.count() >= 4
        for i in range(amounts.count()):
            box = amounts.nth(i).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (size, i)
