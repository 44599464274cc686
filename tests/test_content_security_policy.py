"""The content security policy (issue 8): scripts only from the site or with the request's
nonce, no framing; the pages, the admin, the import progress and Swagger UI still work under
it, in a real browser that enforces it."""

import os
import re

import pytest
from django.urls import reverse

from salesops.models import ImportBatch
from tests.factories import ManagerFactory
from tests.realservices import CHROMIUM, CHROMIUM_FLAGS, require_chromium

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
PASSWORD = "pass-word-77"


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


def _superuser(username="root1"):
    manager = ManagerFactory(admin=True, user__username=username, user__password=PASSWORD)
    manager.user.is_staff = manager.user.is_superuser = True
    manager.user.save()
    return manager.user


@pytest.mark.django_db
def test_every_page_carries_the_policy(client):
    policy = _policy(client.get(reverse("login")))
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]


@pytest.mark.django_db
def test_the_import_progress_script_carries_the_nonce_of_its_response(client):
    client.force_login(_superuser())
    batch = ImportBatch.objects.create(source="asterisk", file_name="calls.csv")
    response = client.get(reverse("imports:batch", args=[batch.pk]))
    nonce = re.search(r"'nonce-([^']+)'", _policy(response)["script-src"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    assert scripts and all(f'nonce="{nonce}"' in attrs or "src=" in attrs for attrs in scripts)


@pytest.mark.django_db
def test_swagger_ui_loads_its_code_from_files_not_inline(client):
    client.force_login(_superuser())
    page = client.get(reverse("api-docs")).content.decode()
    assert re.findall(r"<script[^>]*>", page)
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))


@pytest.mark.django_db
@pytest.mark.parametrize(("header", "value"), [
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
])
def test_security_headers_are_sent(client, header, value):
    assert client.get(reverse("login"))[header] == value


# --- in a browser that enforces the policy ---------------------------------------------------


@pytest.fixture
def page():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser.new_context(locale="en-US").new_page()
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_admin_and_swagger_work_with_no_policy_violation(live_server, page):
    _superuser()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text
            and violations.append(f"{page.url}: {m.text}"))
    page.on("pageerror", lambda error: violations.append(str(error)))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "root1")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    # The owner lands on the organisation overview (salesops.views.LANDING).
    page.wait_for_url(f"{live_server.url}/review/overview/")
    # The language menu submits itself from a static script, not an inline handler.
    with page.expect_navigation():
        page.select_option("select[name=language]", "ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"

    for path in ("/admin/", "/admin/leads/lead/", "/admin/leads/lead/add/",
                 "/admin/salesops/manager/"):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("#content").is_visible(), path

    # django-import-export's export form: its "select all" box is an inline handler.
    page.goto(f"{live_server.url}/admin/leads/lead/export/")
    fields = page.locator("input[type=checkbox][name*=lead]")
    assert fields.count() > 1 and fields.first.is_checked()
    page.locator("input.select-toggle").first.uncheck()
    assert not fields.first.is_checked()

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "SalesOps API" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock", timeout=20_000)

    assert violations == []
