"""The partner API (issue 20) with a partner-scoped token: each partner reads and writes only
their own rows; another partner's id answers 404; the token opens no other endpoint."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache

from leads.models import Lead
from leads.partners.api import partner_token_issue
from leads.partners.models import HandedLeadPayment, HandedStatus
from salesops import policy
from tests.payouts.helpers import moscow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tokens(pw):
    admin = pw.people["admin"].user
    return {"one": partner_token_issue(partner=pw.one.partner, by=admin),
            "two": partner_token_issue(partner=pw.two.partner, by=admin)}


def _auth(key):
    return {"HTTP_AUTHORIZATION": f"Partner {key}"}


def test_each_partner_lists_only_own_leads_and_statements(pw, client, tokens):
    leads = client.get("/api/partner/leads/", **_auth(tokens["one"]))
    assert [row["id"] for row in leads.json()] == [pw.one.lead.pk]
    assert leads.json()[0]["manager_first_name"] == "Anna"
    assert leads.json()[0]["steps"][0]["step"] == "received"
    statements = client.get("/api/partner/statements/", **_auth(tokens["two"]))
    assert [(row["id"], row["month"], row["payable"]) for row in statements.json()] == [
        (pw.two.statement.pk, "2026-11", "0.00")]


def test_referring_by_the_api_creates_a_lead_or_answers_known(pw, client, tokens):
    created = client.post("/api/partner/leads/", {"company": "API Client",
                                                  "phone": "+79169990001"},
                          content_type="application/json", **_auth(tokens["one"]))
    assert created.status_code == 201
    assert Lead.objects.get(pk=created.json()["id"]).partner == pw.one.partner
    known = client.post("/api/partner/leads/", {"tax_id": "7701000002"},
                        content_type="application/json", **_auth(tokens["one"]))
    assert (known.status_code, known.json()) == (200, {"known": True, "id": None})


def test_a_handed_lead_is_patched_by_its_partner_only(pw, client, tokens):
    url = f"/api/partner/handed-leads/{pw.one.handed.pk}/"
    with time_machine.travel(moscow(2026, 11, 10, 12, 0), tick=False):
        answer = client.patch(url, {"status": "won", "payment_amount": "5000.00",
                                    "payment_received_on": "2026-11-09"},
                              content_type="application/json", **_auth(tokens["one"]))
    assert answer.status_code == 200 and answer.json()["status"] == HandedStatus.WON
    report = HandedLeadPayment.objects.get(handed_lead=pw.one.handed, amount=Decimal("5000"))
    assert (report.commission, report.received_on) == (Decimal("500.00"),
                                                       datetime.date(2026, 11, 9))
    before = HandedLeadPayment.objects.count()
    assert client.patch(f"/api/partner/handed-leads/{2**70}/", {"status": "lost"},
                        content_type="application/json",
                        **_auth(tokens["one"])).status_code == 404
    guessed = client.patch(f"/api/partner/handed-leads/{pw.two.handed.pk}/", {"status": "lost"},
                           content_type="application/json", **_auth(tokens["one"]))
    assert guessed.status_code == 404
    pw.two.handed.refresh_from_db()
    assert (pw.two.handed.status, HandedLeadPayment.objects.count()) == (
        HandedStatus.HANDED, before)


def test_a_bad_patch_is_400_and_changes_nothing(pw, client, tokens):
    url = f"/api/partner/handed-leads/{pw.one.handed.pk}/"
    for body in ({}, {"payment_amount": "10.00"}, {"status": "sold"}):
        assert client.patch(url, body, content_type="application/json",
                            **_auth(tokens["one"])).status_code == 400
    pw.one.handed.refresh_from_db()
    assert pw.one.handed.status == HandedStatus.HANDED


def test_a_partner_token_opens_no_other_endpoint_and_a_wrong_token_nothing(pw, client, tokens):
    for path in ("/api/calls/", "/api/managers/", "/api/partner-statements/", "/api/me/"):
        assert client.get(path, **_auth(tokens["one"])).status_code in (401, 403, 404)
    assert client.get("/api/partner/leads/", **_auth("nonsense")).status_code == 401
    assert client.get("/api/partner/leads/").status_code in (401, 403)


@pytest.mark.parametrize("who", ["anna", "admin", "owner"])
def test_our_people_are_refused_by_the_partner_api(pw, client, who):
    client.force_login(pw.people[who].user)
    assert client.get("/api/partner/leads/").status_code == 403
    assert client.get("/api/partner/statements/").status_code == 403
    assert client.patch(f"/api/partner/handed-leads/{pw.one.handed.pk}/", {"status": "lost"},
                        content_type="application/json").status_code == 403


def test_a_partner_cannot_issue_a_token_for_another_partner(pw):
    with pytest.raises(policy.AccessDenied):
        partner_token_issue(partner=pw.two.partner, by=pw.one.partner.user)


def test_the_partner_endpoints_are_in_the_schema_with_their_answers(pw, client):
    client.force_login(pw.people["owner"].user)
    schema = client.get("/api/schema/?format=json").json()
    assert set(schema["paths"]["/api/partner/leads/"]["post"]["responses"]) >= {
        "200", "201", "400", "401", "403", "413", "429"}
    assert set(schema["paths"]["/api/partner/handed-leads/{id}/"]["patch"]["responses"]) >= {
        "200", "400", "403", "404"}
    assert "/api/partner/statements/" in schema["paths"]


def test_an_admin_issues_a_token_by_command_and_a_partner_may_not(pw, client):
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("partner_token", pw.two.partner.pk, by="admin", stdout=out)
    key = out.getvalue().strip()
    assert client.get("/api/partner/leads/", **_auth(key)).json()[0]["id"] == pw.two.lead.pk
    with pytest.raises(CommandError):
        call_command("partner_token", pw.two.partner.pk, by="anna", stdout=StringIO())
