"""A person opens the site, logs in, and lands on their page (a manager: own pay)."""

import os

import pytest

from salesops.imports.stats import daily_stats_refresh
from salesops.periods import organisation_zone
from tests.factories import CallFactory, ManagerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself happen outside it, so Django's async-safety guard would be a false alarm here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(browser):
    return browser.new_context(locale="en-US").new_page()


def test_manager_logs_in_and_sees_own_month(live_server, page):
    manager = ManagerFactory(user__username="anna", user__first_name="Anna",
                             user__last_name="Petrova", user__password="correct-horse-9")
    calls = CallFactory.create_batch(4, manager=manager, talk_s=30)
    CallFactory(talk_s=30)  # someone else's call: never shown to Anna
    # What the import of these calls keeps for the pages: the days' figures.
    zone = organisation_zone()
    daily_stats_refresh(pairs={(manager.pk, call.started_at.astimezone(zone).date())
                               for call in calls})

    page.goto(f"{live_server.url}/")
    assert "/login/" in page.url
    page.fill("#id_username", "anna")
    page.fill("#id_password", "correct-horse-9")
    page.click("button[type=submit]")
    # A manager lands on their own pay (issue 10); the sales floor still lists own calls.
    page.wait_for_url(f"{live_server.url}/earnings/")
    assert page.locator("h1").inner_text().startswith("My pay, ")

    page.goto(f"{live_server.url}/?floor=1")
    rows = page.locator("tbody tr")
    assert rows.count() == 1
    assert "Anna Petrova" in rows.first.inner_text()
    assert rows.first.locator("td.num").nth(0).inner_text() == "4"


def test_wrong_password_is_told_plainly(live_server, page):
    ManagerFactory(user__username="boris", user__password="right-one-7")
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "boris")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.locator(".errors").is_visible()


def test_login_page_speaks_russian_to_a_russian_browser(live_server, browser):
    page = browser.new_context(locale="ru-RU").new_page()
    page.goto(f"{live_server.url}/login/")
    assert page.locator("h1").inner_text() == "Войти"
