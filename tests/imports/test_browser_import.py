"""An admin uploads a call log in the browser, watches the progress bar and reads the summary."""

import os

import pytest
from django.contrib.auth.models import Group

from tests.realservices import CHROMIUM, CHROMIUM_FLAGS, require_chromium

from .conftest import sample
from .factories import ManagerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SCREENSHOT = os.environ.get("SALESOPS_IMPORT_SCREENSHOT")


@pytest.fixture
def page():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser.new_context(locale="en-US").new_page()
        browser.close()


def test_upload_shows_progress_then_the_summary(live_server, page):
    admin = ManagerFactory(admin=True, user__username="root1", user__password="pass-word-77")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    ManagerFactory(extension="test")

    page.goto(f"{live_server.url}/login/?next=/imports/")
    page.fill("#id_username", "root1")
    page.fill("#id_password", "pass-word-77")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/imports/")
    page.set_input_files("#id_file", str(sample("asterisk-testsuite_cdrlib_good.csv")))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#import[data-status=done]", timeout=30_000)

    assert page.locator("#created").inner_text() == "4"
    assert page.locator("#present").inner_text() == "0"
    assert page.locator("#errors").inner_text() == "1"
    assert page.locator("#bar").evaluate("bar => bar.style.width") == "100%"
    assert "talk (7 s) is longer than the call (5 s)" in page.locator("#error-table").inner_text()
    if SCREENSHOT:
        page.screenshot(path=SCREENSHOT, full_page=True)
