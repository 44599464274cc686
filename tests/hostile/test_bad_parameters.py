"""A NUL byte anywhere, and a parameter that is not what it should be, answer 400 on every page
and endpoint, and change nothing."""

import json

import pytest

from payouts.models import CommissionException, PayoutRun
from salesops.inputs.models import AuditEntry
from tests.review.conftest import build_month

pytestmark = pytest.mark.django_db


@pytest.fixture
def month(settings):
    settings.REVIEW_RECOMPUTE_IN_THREAD = False
    return build_month()


def _state():
    return (list(CommissionException.objects.order_by("pk").values()),
            list(PayoutRun.objects.order_by("pk").values()), AuditEntry.objects.count())


NUL_PAGES = [
    "/review/?team=%00", "/review/?month=%00", "/review/overview/?month=2026-11%00",
    "/earnings/?month=%00", "/?floor=1&month=%00", "/imports/?x=%00",
    "/admin/salesops/calllog/?q=%00", "/review/?%00=1",
]
NUL_API = [
    "/api/payout-runs/?team=%00", "/api/payout-runs/?month=%00", "/api/calls/?manager=%00",
    "/api/commission-exceptions/?status=%00", "/api/payout-inquiries/?status=%00",
    "/api/me/earnings/?month=%00", "/api/managers/?x=%00",
]


@pytest.mark.parametrize("url", NUL_PAGES)
def test_a_nul_byte_in_a_pages_query_string_answers_400(client, month, url):
    client.force_login(month.user("owner"))
    assert client.get(url).status_code == 400


@pytest.mark.parametrize("url", NUL_API)
def test_a_nul_byte_in_an_api_query_string_answers_400_in_json(client, month, url):
    client.force_login(month.user("owner"))
    response = client.get(url)
    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_nul_byte_in_a_posted_form_answers_400_and_changes_nothing(client, month):
    client.force_login(month.user("head_north"))
    before = _state()
    exception = month.exceptions["anna"]
    response = client.post(f"/review/exceptions/{exception.pk}/decide/",
                           {"decision": "reject", "comment": "no\x00way"})
    assert response.status_code == 400
    assert _state() == before


def test_a_nul_byte_in_a_json_body_answers_400_and_changes_nothing(client, month):
    client.force_login(month.user("head_north"))
    before = _state()
    exception = month.exceptions["anna"]
    response = client.post(f"/api/commission-exceptions/{exception.pk}/decide/",
                           data=json.dumps({"decision": "reject", "comment": "no\u0000way"}),
                           content_type="application/json")
    assert response.status_code == 400
    assert _state() == before


@pytest.mark.parametrize("url", [
    "/review/?month=2026-13", "/review/?month=2026-99999999999999999999",
    "/review/overview/?month=never", "/earnings/?month=2026-12-06", "/?floor=1&month=x",
    "/earnings/?manager=abc", "/review/runs/{run}/people/?manager=1e9",
])
def test_a_bad_parameter_on_a_page_answers_400(client, month, url):
    client.force_login(month.user("owner"))
    assert client.get(url.format(run=month.runs["north"].pk)).status_code == 400


@pytest.mark.parametrize(("url", "field"), [
    ("/api/payout-runs/?month=2026-12-06", "month"),
    ("/api/payout-runs/?month=2026-13", "month"),
    ("/api/calls/?manager=abc", "manager"),
    ("/api/calls/?manager=99999999999999999999999", "manager"),
    ("/api/commission-exceptions/?status=whatever", "status"),
    ("/api/payout-inquiries/?status=whatever", "status"),
    ("/api/me/earnings/?month=2026-1-1", "month"),
])
def test_a_bad_parameter_in_the_api_answers_400_naming_it(client, month, url, field):
    client.force_login(month.user("anna" if "/me/" in url else "owner"))
    response = client.get(url)
    assert response.status_code == 400
    assert field in response.json()


def test_good_parameters_still_filter(client, month):
    client.force_login(month.user("owner"))
    rows = client.get("/api/payout-runs/?month=2026-11&team=north").json()["results"]
    assert [row["id"] for row in rows] == [month.runs["north"].pk]
    assert client.get("/api/commission-exceptions/?status=pending").json()["count"] == 3
