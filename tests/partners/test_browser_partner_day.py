"""A partner's day in Russian, in a real browser (issue 20): log in, see a referred lead move,
open a statement, refer a client, change the payout details."""

import os
from pathlib import Path

import pytest

from leads.models import Lead, MilestoneKind
from leads.partners.models import DetailsStatus, PayoutDetails
from leads.services import lead_milestone_set
from tests.payouts.helpers import moscow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# Set to a folder to keep a screenshot of each step (desktop and phone width).
SHOTS = os.environ.get("PARTNER_DAY_SCREENSHOTS")


def _shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.mark.parametrize(("width", "height"), [(1366, 800), (390, 844)])
def test_a_partners_day_in_russian(live_server, browser, pw, width, height):
    page = browser.new_context(locale="ru-RU",
                               viewport={"width": width, "height": height}).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "partner.one")
    page.fill("#id_password", "secret-pass-123")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/partner/")
    assert page.locator("h1").inner_text() == "Partner One"
    leads = page.locator("#p-leads tbody")
    assert "Client of One" in leads.inner_text() and "получен" in leads.inner_text()
    assert "Client of Two" not in page.content()
    _shot(page, f"{width}-1-portal")

    # The lead moves on our side; the partner sees it on the next look.
    lead_milestone_set(lead=pw.one.lead, kind=MilestoneKind.CONFIRMED,
                       at=moscow(2026, 10, 3, 10, 0))
    page.reload()
    assert "квалифицирован" in page.locator("#p-leads tbody tr").first.inner_text()

    page.click("#p-statements a")
    assert page.locator("h1").inner_text() == "Выписка партнёра, ноябрь 2026"
    assert "Client of One" in page.locator("#s-lines").inner_text()
    _shot(page, f"{width}-2-statement")

    page.goto(f"{live_server.url}/partner/refer/")
    page.fill("#id_company", "Новый клиент")
    page.fill("#id_phone", "+7 916 123-00-99")
    page.click("form.p-form button[type=submit]")
    assert "клиент записан как ваша рекомендация" in page.locator("#r-answer").inner_text()
    assert Lead.objects.get(phone="+79161230099").partner == pw.one.partner
    _shot(page, f"{width}-3-referred")

    page.goto(f"{live_server.url}/partner/payout-details/")
    page.select_option("#id_method", "card")
    page.fill("#id_legal_name", "Иван Петров")
    page.fill("#id_card_number", "4276 1600 1234 5678")
    page.click("form.p-form button[type=submit]")
    assert "Ждут нашего подтверждения" in page.locator("#d-pending").inner_text()
    assert PayoutDetails.objects.get(partner=pw.one.partner).status == DetailsStatus.PENDING
    _shot(page, f"{width}-4-payout-details")
