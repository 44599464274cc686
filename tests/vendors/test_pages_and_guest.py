"""The vendor pages, and what a vendor's client's guest login may and may not see
(issue 19). Expectations written out, not derived from the policy."""

import datetime
from decimal import Decimal

import pytest

from payouts.models import ComponentKind as K
from payouts.vendors.models import Pilot, QaVerdict
from payouts.vendors.services import vendor_create, vendor_guest_create
from payouts.vendors.statements import vendor_statement_compute
from salesops.models import Outcome, Role
from salesops.services import manager_create
from tests.factories import CallFactory
from tests.payouts.helpers import moscow

from .helpers import NOVEMBER, contract, vendor_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(client):
    vendor, world = vendor_world(prepaid=True, low_balance_threshold=Decimal("100.00"))
    contract(vendor, (K.PER_MINUTE, "3.50"), (K.PER_CONFIRMED_LEAD, "1000.00"),
             code="dozvon-contract")
    statement = vendor_statement_compute(vendor=vendor, month=NOVEMBER)
    other = vendor_create(code="other", name="Other KC")
    stranger = manager_create(username="stranger", team=other.team, password_hash="!",
                              active_from=datetime.date(2026, 1, 1))
    CallFactory(manager=stranger, started_at=moscow(2026, 11, 3, 10, 0), duration_s=90,
                talk_s=80, outcome=Outcome.CONSENT, recording_url="https://rec.example/x.mp3")
    contract(other, (K.PER_MINUTE, "1.00"))
    other_statement = vendor_statement_compute(vendor=other, month=NOVEMBER)
    owner = manager_create(username="boss", role=Role.OWNER, password_hash="!",
                           active_from=datetime.date(2026, 1, 1))
    guest = vendor_guest_create(vendor=vendor, username="client", password="client-pass-1")
    pilot = Pilot.objects.create(code="trial", name="Trial", vendor=vendor,
                                 plan=vendor.contracts.get().plan,
                                 starts_on=datetime.date(2026, 11, 1),
                                 ends_on=datetime.date(2026, 11, 30))
    return {"vendor": vendor, "world": world, "statement": statement, "other": other,
            "other_statement": other_statement, "owner": owner.user, "guest": guest.user,
            "pilot": pilot, "client": client}


def test_the_vendor_page_shows_balance_contract_and_statements(site):
    client = site["client"]
    client.force_login(site["owner"])
    page = client.get(f"/vendors/{site['vendor'].pk}/").content.decode()
    assert '<strong data-figure="balance" class="negative">-₽24.56</strong>' in page
    assert "data-figure=\"runs-out\"" not in page  # negative: no forecast, a warning
    assert f"/vendors/statements/{site['statement'].pk}/" in page
    assert "balance is negative" in page


def test_the_statement_page_lists_lines_with_their_sources(site):
    client = site["client"]
    client.force_login(site["owner"])
    page = client.get(f"/vendors/statements/{site['statement'].pk}/").content.decode()
    world = site["world"]
    assert f"{world['L1'].pk}, {world['L2'].pk}, {world['L3'].pk}" in page
    assert "4 calls" in page
    pdf = client.get(f"/vendors/statements/{site['statement'].pk}/file/?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"


def test_the_pilot_page_and_the_what_if_page_render(site):
    client = site["client"]
    client.force_login(site["owner"])
    assert "pilot-funnel-data" in client.get(f"/vendors/pilots/{site['pilot'].pk}/"
                                             "?margin=0.2").content.decode()
    page = client.get("/vendors/what-if/?month=2026-11&plan=dozvon-contract&vendor=dozvon")
    assert "data-plan=\"dozvon-contract\"" in page.content.decode()


def test_a_verdict_from_the_listening_page_is_recorded(site):
    client = site["client"]
    client.force_login(site["owner"])
    c4 = site["world"]["c4"]
    response = client.post(f"/vendors/{site['vendor'].pk}/listening/verdict/",
                           {"call": c4.pk, "verdict": "empty", "note": "silence",
                            "month": "2026-11"})
    assert response.status_code == 302
    assert QaVerdict.objects.get(call=c4).verdict == "empty"


def test_the_guest_sees_own_vendors_statements_and_sample(site):
    client = site["client"]
    client.force_login(site["guest"])
    assert client.get("/").url == "/vendors/guest/"
    home = client.get("/vendors/guest/").content.decode()
    assert f"/vendors/statements/{site['statement'].pk}/" in home
    assert client.get(f"/vendors/statements/{site['statement'].pk}/").status_code == 200
    assert client.get(f"/vendors/statements/{site['statement'].pk}/file/?format=xlsx"
                      ).status_code == 200
    sample = client.get(f"/vendors/{site['vendor'].pk}/listening/?month=2026-11")
    assert "https://rec.example/c1.mp3" in sample.content.decode()
    assert "<form" not in sample.content.decode().split('id="calls"')[1]


def test_the_guest_sees_nothing_of_another_vendor(site):
    client = site["client"]
    client.force_login(site["guest"])
    home = client.get("/vendors/guest/").content.decode()
    assert f"/vendors/statements/{site['other_statement'].pk}/" not in home
    assert client.get(f"/vendors/statements/{site['other_statement'].pk}/").status_code == 404
    assert client.get(f"/vendors/statements/{site['other_statement'].pk}/file/"
                      ).status_code == 404
    assert client.get(f"/vendors/{site['other'].pk}/listening/?month=2026-11"
                      ).status_code == 404


def test_the_guest_may_not_judge_pay_or_see_the_rest(site):
    client = site["client"]
    client.force_login(site["guest"])
    vendor, statement = site["vendor"], site["statement"]
    assert client.get(f"/vendors/{vendor.pk}/").status_code == 403  # balance, contract
    assert client.get("/vendors/").status_code == 403
    assert client.get(f"/vendors/pilots/{site['pilot'].pk}/").status_code == 403
    assert client.get("/vendors/what-if/").status_code == 403
    assert client.post(f"/vendors/{vendor.pk}/listening/verdict/",
                       {"call": site["world"]["c1"].pk, "verdict": "empty"}).status_code == 403
    assert client.post(f"/vendors/statements/{statement.pk}/final/").status_code == 403
    assert client.post(f"/vendors/statements/{statement.pk}/paid/").status_code == 403
    assert client.post(f"/vendors/{vendor.pk}/top-up/", {"amount": "10"}).status_code == 403
    assert client.get("/review/").status_code == 403
    assert client.get("/admin/").status_code == 302  # not staff: sent to log in
    assert not QaVerdict.objects.exists()


def test_the_plan_editor_warns_of_a_double_pay(site):
    from django.contrib.messages import get_messages

    client = site["client"]
    vendor = site["vendor"]
    contract(None, (K.PER_EFFECTIVE_CALL, "150.00"), (K.PER_CONFIRMED_LEAD, "1000.00"),
             code="mixed")
    mixed = contract(None, (K.PER_MINUTE, "1.00"), (K.PER_HOUR, "100.00"), code="time")
    vendor.contracts.update(plan=mixed.plan)
    site["owner"].is_superuser = True
    site["owner"].save()
    client.force_login(site["owner"])
    response = client.get(f"/admin/payouts/compensationplan/{mixed.plan.pk}/change/")
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    # 421 s of calls inside the shifts: by the minute 7.02, by the hour 11.69 → 7.02.
    assert texts == ["Per operator minute and Per shift hour pay the same result twice: 7.02 "
                     "on the period's data."]


def test_the_vendor_editor_warns_of_a_double_pay_in_its_contract(site):
    from django.contrib.messages import get_messages

    client, vendor = site["client"], site["vendor"]
    time = contract(None, (K.PER_MINUTE, "1.00"), (K.PER_HOUR, "100.00"), code="time")
    vendor.contracts.update(plan=time.plan)
    site["owner"].is_superuser = True
    site["owner"].save()
    client.force_login(site["owner"])
    response = client.get(f"/admin/vendors/vendor/{vendor.pk}/change/")
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Per operator minute and Per shift hour pay the same result twice: 7.02 on the "
        "period's data."]


def test_a_vendor_added_in_the_admin_gets_a_team_of_its_own(site):
    from payouts.vendors.models import Vendor

    client = site["client"]
    site["owner"].is_superuser = True
    site["owner"].save()
    client.force_login(site["owner"])
    response = client.post("/admin/vendors/vendor/add/", {
        "code": "nova", "name": "Nova KC", "team": "", "low_balance_threshold": "",
        "notify_email": "", "contracts-TOTAL_FORMS": "0", "contracts-INITIAL_FORMS": "0",
        "contracts-MIN_NUM_FORMS": "0", "contracts-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302
    assert Vendor.objects.get(code="nova").team.code == "vendor-nova"


def test_an_operator_added_on_the_vendor_page_has_no_login_and_no_staff_rights(site):
    from salesops.models import Manager, TeamMembership

    client, vendor = site["client"], site["vendor"]
    client.force_login(site["owner"])
    response = client.post(f"/vendors/{vendor.pk}/operators/", {
        "username": "semyon", "first_name": "Semyon", "extension": "703"})
    assert response.status_code == 302
    operator = Manager.objects.get(user__username="semyon")
    assert (operator.team, operator.extension, operator.user.has_usable_password(),
            operator.user.is_staff) == (vendor.team, "703", False, False)
    assert TeamMembership.objects.filter(manager=operator, team=vendor.team).exists()


def test_the_guest_may_not_add_an_operator(site):
    from salesops.models import Manager

    client = site["client"]
    client.force_login(site["guest"])
    response = client.post(f"/vendors/{site['vendor'].pk}/operators/", {"username": "x"})
    assert response.status_code == 403
    assert not Manager.objects.filter(user__username="x").exists()


def test_the_list_of_vendors_links_the_pilots_and_the_what_if(site):
    client = site["client"]
    client.force_login(site["owner"])
    page = client.get("/vendors/").content.decode()
    assert f"/vendors/pilots/{site['pilot'].pk}/" in page
    assert "/vendors/what-if/" in page
    assert f"/vendors/{site['other'].pk}/" in page


def test_the_list_of_vendors_shows_each_vendors_latest_statement(site):
    from payouts.vendors.selectors import vendor_rows

    october = vendor_statement_compute(vendor=site["vendor"], month=datetime.date(2026, 10, 1))
    rows = {row.vendor.code: row.last_statement for row in vendor_rows()}
    assert rows == {site["vendor"].code: site["statement"], "other": site["other_statement"]}
    assert rows[site["vendor"].code] != october
