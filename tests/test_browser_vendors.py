"""The outsourced call centres' pages in Chromium, in Russian (issue 19): the vendor page with
its prepaid balance, a pilot's report with its funnel chart, the listening page where a
verdict is recorded, and the what-if. Screenshots at 1366 px and a phone's 390 px go to
var/screenshots/."""

import datetime
import os
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from payouts.models import ComponentKind as K
from payouts.vendors.balance import vendor_balance_top_up
from payouts.vendors.models import Pilot, QaVerdict
from payouts.vendors.statements import vendor_statement_compute
from salesops.models import ROLE_GROUPS, Role
from salesops.services import manager_create
from tests.realservices import REPO
from tests.vendors.helpers import NOVEMBER, contract, vendor_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SHOTS = REPO / "var" / "screenshots"


@pytest.fixture
def kc():
    for name in ROLE_GROUPS.values():  # emptied by earlier transactional tests
        Group.objects.get_or_create(name=name)
    vendor, world = vendor_world(prepaid=True, low_balance_threshold=Decimal("100.00"))
    version = contract(vendor, (K.PER_MINUTE, "3.50"), (K.PER_CONFIRMED_LEAD, "1000.00"),
                       code="dozvon-contract")
    contract(None, (K.PER_HOUR, "250.00"), code="trial-hours")
    manager_create(username="owner", role=Role.OWNER, password="owner-pass-1",
                   active_from=datetime.date(2026, 1, 1))
    vendor_balance_top_up(vendor=vendor, amount=Decimal("5000.00"), by=None)
    vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    pilot = Pilot.objects.create(code="trial", name="Пилот Дозвон", vendor=vendor,
                                 plan=version.plan, starts_on=datetime.date(2026, 11, 1),
                                 ends_on=datetime.date(2026, 11, 30), goal="цена лида")
    return vendor, world, pilot


def _open(browser, live_server, path, width=1366, height=800):
    page = browser.new_context(locale="ru-RU", viewport={"width": width, "height": height},
                               device_scale_factor=1).new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "owner")
    page.fill("#id_password", "owner-pass-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}{path}")
    return page


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"vendors-{name}.png"), full_page=True)


def test_vendor_pilot_and_listening_pages_in_russian(browser, live_server, kc):
    vendor, world, pilot = kc
    page = _open(browser, live_server, f"/vendors/{vendor.pk}/")
    assert page.locator("h2", has_text="Договор").count() == 1
    balance = page.locator("[data-figure=balance]").inner_text().replace("\xa0", " ")
    assert balance.replace("\u202f", " ") == "4 975,44 ₽"  # 5000.00 − 24.56
    assert "хватит до" in page.locator("[data-figure=runs-out]").inner_text()
    _shot(page, "vendor-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "vendor-390")

    page.goto(f"{live_server.url}/vendors/pilots/{pilot.pk}/?margin=0.2")
    assert page.locator("#funnel [data-step=dial_attempts] td").first.inner_text() == "Наборы"
    page.wait_for_function("document.getElementById('pilot-funnel').width > 0")
    assert page.evaluate("typeof Chart !== 'undefined' && !!Chart.getChart('pilot-funnel')")
    assert "Безубыточная цена" in page.locator("#prices").inner_text()
    page.set_viewport_size({"width": 1366, "height": 800})
    _shot(page, "pilot-1366")

    page.goto(f"{live_server.url}/vendors/{vendor.pk}/listening/?month=2026-11")
    assert page.locator("h1").inner_text().startswith("Прослушка")
    row = page.locator(f"[data-call='{world['c4'].pk}']")
    assert row.locator("a", has_text="Слушать").get_attribute("href") == \
        "https://rec.example/c4.mp3"
    row.locator("select[name=verdict]").select_option("empty")
    row.locator("input[name=note]").fill("тишина")
    row.locator("button", has_text="Записать").click()
    page.wait_for_load_state()
    assert "Вердикт записан." in page.locator(".review-messages").inner_text()
    assert QaVerdict.objects.get(call=world["c4"]).verdict == "empty"
    _shot(page, "listening-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "listening-390")

    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto(f"{live_server.url}/vendors/what-if/?month=2026-11&plan=dozvon-contract"
              "&plan=trial-hours&vendor=dozvon")
    assert "Ничего не записывается" in page.locator("main").inner_text()
    assert page.locator("#plans [data-plan=trial-hours]").count() == 1
    _shot(page, "what-if-1366")
