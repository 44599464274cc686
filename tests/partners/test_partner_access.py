"""A partner sees only their own leads, payments, statements and handed leads; never calls,
managers' pay, other partners, or the admin (issue 20; rows of salesops.policy). Expectations
are written out per partner, not derived from ``policy.may``."""

import pytest

from leads.models import Lead, Partner, Payment
from leads.partners.models import HandedLead, HandedLeadPayment, PayoutDetails
from payouts.models import PartnerStatement
from salesops import policy

pytestmark = pytest.mark.django_db


def _seen(user, resource):
    return set(policy.scoped(user, policy.VIEW, resource))


def test_each_partner_reads_exactly_their_own_rows(pw):
    for mine, theirs in ((pw.one, pw.two), (pw.two, pw.one)):
        user = mine.partner.user
        assert _seen(user, "leads") == {mine.lead}
        assert _seen(user, "payments") == {mine.payment}
        assert _seen(user, "partner_statements") == {mine.statement}
        assert _seen(user, "handed_leads") == {mine.handed}
        assert _seen(user, "handed_lead_payments") == {mine.handed_payment}
        assert _seen(user, "partners") == {mine.partner}
        assert not policy.may(user, policy.VIEW, "leads", theirs.lead)
        assert not policy.may(user, policy.VIEW, "payments", theirs.payment)
        assert not policy.may(user, policy.VIEW, "partner_statements", theirs.statement)
        assert not policy.may(user, policy.CHANGE, "handed_leads", theirs.handed)
        assert policy.may(user, policy.CHANGE, "handed_leads", mine.handed)


@pytest.mark.parametrize("resource", [
    "calls", "shifts", "plans", "managers", "teams", "daily_stats", "payout_runs",
    "payout_lines", "commission_exceptions", "payout_inquiries", "audit_entries", "users",
    "lead_owners", "compensation_plans", "import_batches",
])
def test_a_partner_never_reads_calls_pay_or_people_of_ours(pw, resource):
    assert not policy.may(pw.one.partner.user, policy.VIEW, resource)


def test_a_partner_writes_nothing_of_ours_and_confirms_no_payout_details(pw):
    user = pw.one.partner.user
    assert not policy.may(user, policy.CREATE, "payments")
    assert not policy.may(user, policy.CHANGE, "leads")
    assert not policy.may(user, policy.CREATE, "milestones")
    assert not policy.may(user, policy.CHANGE, "payout_details")
    assert not policy.may(user, policy.CHANGE, "handed_lead_payments")
    assert not policy.may(user, policy.OVERVIEW, "handed_leads")
    assert not policy.may(user, policy.VIEW, "partners", pw.two.partner)


def test_managers_see_no_partner_portal_and_only_the_leads_they_handed(pw):
    anna = pw.people["anna"].user
    assert not policy.may(anna, policy.VIEW, "partner_portal")
    assert not policy.may(anna, policy.VIEW, "payout_details")
    assert _seen(anna, "handed_leads") == {pw.one.handed}
    assert not policy.may(anna, policy.CHANGE, "handed_leads", pw.one.handed)
    assert policy.may(pw.people["admin"].user, policy.CHANGE, "payout_details")
    assert set(policy.scoped(pw.people["owner"].user, policy.OVERVIEW, "handed_leads")) == {
        pw.one.handed, pw.two.handed}


@pytest.mark.parametrize("path", ["/admin/", "/admin/leads/partner/", "/admin/leads/lead/",
                                  "/admin/partner_portal/payoutdetails/"])
def test_a_partner_is_sent_to_log_in_by_the_admin(pw, client, path):
    client.force_login(pw.one.partner.user)
    response = client.get(path)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_nothing_of_the_other_partner_counts_for_a_partner(pw):
    user = pw.one.partner.user
    assert Lead.objects.count() == 4 and Payment.objects.count() == 2
    assert Partner.objects.count() == 2 and PartnerStatement.objects.count() == 2
    assert HandedLead.objects.count() == 2 and HandedLeadPayment.objects.count() == 2
    assert PayoutDetails.objects.count() == 0
    assert policy.scoped(user, policy.VIEW, "partners").count() == 1


@pytest.mark.parametrize("path", ["/?floor=1", "/earnings/", "/review/", "/review/overview/",
                                  "/imports/", "/handed-leads/", "/api/calls/",
                                  "/api/managers/", "/api/payout-runs/"])
def test_a_partners_login_is_refused_every_page_and_endpoint_of_ours(pw, client, path):
    client.force_login(pw.one.partner.user)
    assert client.get(path).status_code == 403


def test_a_partner_reads_only_own_statements_through_the_general_api(pw, client):
    client.force_login(pw.two.partner.user)
    listed = client.get("/api/partner-statements/").json()["results"]
    assert [row["id"] for row in listed] == [pw.two.statement.pk]
    assert client.get(f"/api/partner-statements/{pw.one.statement.pk}/").status_code == 404
