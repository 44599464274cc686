"""Referring a client (issue 20): the portal's form and the personal link /r/<code>/. A phone or
tax id we already know answers "already known" without saying whose, and creates nothing
(SPEC §6.3 first touch); submissions are throttled per address and per partner; a large body
is refused."""

import pytest
from django.core.cache import cache

from leads.models import Lead, LeadSource
from salesops.models import AuditEntry

pytestmark = pytest.mark.django_db
KNOWN = "This client is already known to us"
THANKS = "the client is recorded as your referral"


@pytest.fixture(autouse=True)
def _fresh_throttle():
    cache.clear()
    yield
    cache.clear()


def _refer(client, url, **fields):
    data = {"name": "Ivan", "company": "New Client", "phone": "", "tax_id": "", "comment": "",
            **fields}
    return client.post(url, data)


def test_a_new_client_referred_in_the_portal_becomes_the_partners_lead_on_the_owner(
        pw, client):
    client.force_login(pw.one.partner.user)
    response = _refer(client, "/partner/refer/", phone="8 916 555-00-11", comment="warm")
    assert THANKS in response.content.decode()
    lead = Lead.objects.get(phone="+79165550011")
    assert (lead.source, lead.partner, lead.owner) == (
        LeadSource.PARTNER_REFERRED, pw.one.partner, pw.people["owner"])
    entry = AuditEntry.objects.get(action="lead_referred", object_id=lead.pk)
    assert (entry.by, entry.comment) == (pw.one.partner.user, "warm")


@pytest.mark.parametrize("known", [{"phone": "+7 916 000-00-02"}, {"tax_id": "7701000002"},
                                   {"phone": "+79160000001"}])
def test_a_known_phone_or_tax_id_answers_already_known_revealing_nothing_and_creating_nothing(
        pw, client, known):
    client.force_login(pw.one.partner.user)
    leads, audit = Lead.objects.count(), AuditEntry.objects.count()
    text = _refer(client, "/partner/refer/", **known).content.decode()
    assert KNOWN in text
    for secret in ("Partner Two", "Client of Two", "Boris", "Client of One", "Anna"):
        assert secret not in text
    assert (Lead.objects.count(), AuditEntry.objects.count()) == (leads, audit)


def test_the_personal_link_credits_its_partner_without_a_login(pw, client):
    response = _refer(client, f"/r/{pw.one.link.code}/", tax_id="7702 000009")
    assert THANKS in response.content.decode()
    lead = Lead.objects.get(tax_id="7702000009")
    assert lead.partner == pw.one.partner
    assert client.get("/r/no-such-code/").status_code == 404


def test_a_referral_needs_a_phone_or_a_tax_id_and_a_valid_one(pw, client):
    client.force_login(pw.one.partner.user)
    assert "Give the client&#x27;s phone or tax id." in _refer(
        client, "/partner/refer/").content.decode()
    assert "a tax id has 10 or 12 digits" in _refer(
        client, "/partner/refer/", tax_id="123").content.decode()
    assert Lead.objects.count() == 4


def test_referrals_are_throttled_per_address(pw, client, settings):
    settings.SALESOPS_REFERRALS_PER_ADDRESS_HOUR = 2
    for n in range(2):
        assert _refer(client, f"/r/{pw.one.link.code}/",
                      phone=f"+7916777000{n}").status_code == 200
    refused = _refer(client, f"/r/{pw.two.link.code}/", phone="+79167770009")
    assert refused.status_code == 429
    assert not Lead.objects.filter(phone="+79167770009").exists()


def test_referrals_are_throttled_per_partner_whatever_the_address(pw, client, settings):
    settings.SALESOPS_REFERRALS_PER_PARTNER_HOUR = 1
    url = f"/r/{pw.one.link.code}/"
    assert client.post(url, {"phone": "+79167770001"},
                       REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = client.post(url, {"phone": "+79167770002"}, REMOTE_ADDR="10.0.0.2")
    assert refused.status_code == 429
    # Another partner's link is not held back by it.
    assert client.post(f"/r/{pw.two.link.code}/", {"phone": "+79167770003"},
                       REMOTE_ADDR="10.0.0.3").status_code == 200


def test_a_body_over_the_small_limit_is_refused_and_nothing_is_created(pw, client):
    response = _refer(client, f"/r/{pw.one.link.code}/", phone="+79167770005",
                      comment="x" * 5000)
    assert response.status_code == 413
    assert not Lead.objects.filter(phone="+79167770005").exists()


def test_a_partner_without_a_personal_link_makes_it_and_a_page_view_writes_none(pw, client):
    from leads.partners.models import ReferralLink

    ReferralLink.objects.filter(partner=pw.one.partner).delete()
    client.force_login(pw.one.partner.user)
    home = client.get("/partner/").content.decode()
    assert "Make my personal link" in home
    assert not ReferralLink.objects.filter(partner=pw.one.partner).exists()
    made = client.post("/partner/link/", follow=True).content.decode()
    link = ReferralLink.objects.get(partner=pw.one.partner)
    assert f"/r/{link.code}/" in made
    client.post("/partner/link/")
    assert list(ReferralLink.objects.filter(partner=pw.one.partner)) == [link]
    assert len(link.code) >= 12
    client.logout()
    assert _refer(client, f"/r/{link.code}/", phone="+79167770042").status_code == 200
    assert Lead.objects.get(phone="+79167770042").partner == pw.one.partner


def test_only_a_partner_makes_a_personal_link(pw, client):
    from leads.partners.models import ReferralLink

    client.force_login(pw.people["owner"].user)
    assert client.post("/partner/link/").status_code == 403
    assert ReferralLink.objects.count() == 2
