"""Leads we hand to partners (issue 20): handed with the agreed commission, the partner reports
status and payments in the portal, our receivable per partner with what is overdue, a reminder
after 14 silent days (sent once), the owner's list of silent leads, and the handing manager
paid by their plan when the commission is received."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from leads.models import LeadSource, Payment
from leads.partners.models import HandedLead, HandedLeadPayment, HandedStatus
from leads.partners.notifications import handed_leads_remind
from leads.partners.selectors import receivables
from leads.partners.services import (
    PartnerPortalError,
    handed_commission_received,
    handed_lead_payment_report,
    lead_hand_to_partner,
)
from payouts.models import ComponentKind
from salesops import policy
from salesops.models import AuditEntry
from tests.factories import LeadFactory
from tests.payouts.factories import plan_for
from tests.payouts.helpers import DECEMBER, amounts, compute, moscow

pytestmark = pytest.mark.django_db


def test_a_manager_hands_own_lead_to_a_partner_with_the_agreed_commission(pw, client):
    anna = pw.people["anna"]
    lead = LeadFactory(owner=anna, source=LeadSource.COLD_CALL, company="Outbound Ltd")
    client.force_login(anna.user)
    response = client.post(f"/handed-leads/hand/{lead.pk}/",
                           {"partner": pw.two.partner.pk, "percent": "12.5"})
    assert response.status_code == 302
    handed = HandedLead.objects.get(lead=lead)
    lead.refresh_from_db()
    assert (handed.partner, handed.percent, handed.handed_by, lead.source) == (
        pw.two.partner, Decimal("12.50"), anna, LeadSource.HANDED_TO_PARTNER)
    assert AuditEntry.objects.filter(action="lead_handed_to_partner", by=anna.user).count() == 1


def test_a_manager_cannot_hand_a_lead_of_someone_else(pw):
    lead = LeadFactory(owner=pw.people["boris"], source=LeadSource.COLD_CALL)
    with pytest.raises(policy.AccessDenied):
        lead_hand_to_partner(lead=lead, partner=pw.one.partner, percent=Decimal("10"),
                             by=pw.people["anna"].user)
    assert not HandedLead.objects.filter(lead=lead).exists()


def test_the_partner_updates_the_status_and_reports_a_payment_in_the_portal(pw, client):
    client.force_login(pw.one.partner.user)
    url = f"/partner/handed/{pw.one.handed.pk}/"
    with time_machine.travel(moscow(2026, 11, 10, 12, 0), tick=False):
        assert client.post(url, {"status": "in_progress"}).status_code == 302
        assert client.post(url, {"amount": "40000.00", "received_on": "2026-11-09"}
                           ).status_code == 302
    pw.one.handed.refresh_from_db()
    assert (pw.one.handed.status, pw.one.handed.last_update_at) == (
        HandedStatus.IN_PROGRESS, moscow(2026, 11, 10, 12, 0))
    report = pw.one.handed.payments.get(amount=Decimal("40000.00"))
    assert (report.commission, report.due_on, report.reported_by) == (
        Decimal("4000.00"), datetime.date(2026, 11, 23), pw.one.partner.user)
    assert AuditEntry.objects.filter(action="handed_payment_reported").count() == 1


def test_a_partner_cannot_report_on_another_partners_handed_lead(pw, client):
    client.force_login(pw.one.partner.user)
    before = HandedLeadPayment.objects.count()
    response = client.post(f"/partner/handed/{pw.two.handed.pk}/",
                           {"amount": "1.00", "received_on": "2026-11-09"})
    assert response.status_code == 404
    assert HandedLeadPayment.objects.count() == before
    with pytest.raises(policy.AccessDenied):
        handed_lead_payment_report(handed=pw.two.handed, amount=Decimal("1"),
                                   received_on=datetime.date(2026, 11, 9),
                                   by=pw.one.partner.user)


def test_the_receivable_per_partner_says_what_is_owed_and_what_is_overdue(pw):
    owner = pw.people["owner"].user
    with time_machine.travel(moscow(2026, 11, 30, 12, 0), tick=False):
        handed_lead_payment_report(handed=pw.one.handed, amount=Decimal("10000.00"),
                                   received_on=datetime.date(2026, 11, 29),
                                   by=pw.one.partner.user)
    owed = {r.partner.name: (r.owed, r.overdue)
            for r in receivables(user=owner, today=datetime.date(2026, 12, 1))}
    # Partner One: 3000 due 19 November (overdue) + 1000 due 13 December; Two: 3000 overdue.
    assert owed == {"Partner One": (Decimal("4000.00"), Decimal("3000.00")),
                    "Partner Two": (Decimal("3000.00"), Decimal("3000.00"))}
    # A manager reads only what the leads they handed owe.
    mine = receivables(user=pw.people["anna"].user, today=datetime.date(2026, 12, 1))
    assert [r.partner.name for r in mine] == ["Partner One"]


def test_fourteen_silent_days_send_one_reminder_and_only_one(pw):
    HandedLead.objects.filter(pk=pw.two.handed.pk).update(status=HandedStatus.WON)
    handed = pw.one.handed  # last word 2 October 12:00
    assert handed_leads_remind(now=moscow(2026, 10, 16, 11, 59)) == 0
    assert handed_leads_remind(now=moscow(2026, 10, 16, 12, 0)) == 1
    assert handed_leads_remind(now=moscow(2026, 10, 17, 12, 0)) == 0
    assert handed_leads_remind(now=moscow(2026, 11, 30, 12, 0)) == 0
    [message] = mail.outbox
    assert message.to == ["one@partner.test"] and "Handed to One" in message.subject
    handed.refresh_from_db()
    assert handed.reminded_at == moscow(2026, 10, 16, 12, 0)


def test_a_word_from_the_partner_starts_a_new_silence_reminded_again(pw):
    HandedLead.objects.filter(pk=pw.two.handed.pk).update(status=HandedStatus.WON)
    assert handed_leads_remind(now=moscow(2026, 10, 16, 12, 0)) == 1
    with time_machine.travel(moscow(2026, 10, 20, 12, 0), tick=False):
        handed_lead_payment_report(handed=pw.one.handed, amount=Decimal("100.00"),
                                   received_on=datetime.date(2026, 10, 19),
                                   by=pw.one.partner.user)
    assert handed_leads_remind(now=moscow(2026, 11, 2, 12, 0)) == 0
    assert handed_leads_remind(now=moscow(2026, 11, 3, 12, 0)) == 1
    assert len(mail.outbox) == 2


def test_the_owner_sees_the_silent_leads_and_the_receivables(pw, client):
    client.force_login(pw.people["owner"].user)
    with time_machine.travel(moscow(2026, 10, 17, 12, 0), tick=False):
        page = client.get("/handed-leads/")
    silent = [h.pk for h in page.context["silent"]]
    assert silent == [pw.one.handed.pk, pw.two.handed.pk]
    text = page.content.decode()
    assert "Handed to One" in text and "Partner Two" in text
    client.force_login(pw.one.partner.user)
    assert client.get("/handed-leads/").status_code == 403


def test_the_handing_manager_earns_by_their_plan_when_the_commission_is_received(pw, client):
    anna = pw.people["anna"]
    plan_for(anna, {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10"),
                    "rates": [{"lead_source": LeadSource.HANDED_TO_PARTNER,
                               "rate": Decimal("20")}]})
    report = pw.one.handed_payment  # the partner reported 30 000; we are owed 3 000
    client.force_login(pw.people["admin"].user)
    with time_machine.travel(moscow(2026, 12, 3, 12, 0), tick=False):
        response = client.post(f"/handed-leads/received/{report.pk}/")
    assert response.status_code == 302
    report.refresh_from_db()
    payment = Payment.objects.get(pk=report.commission_payment_id)
    assert (payment.lead, payment.amount, payment.received_on) == (
        pw.one.handed.lead, Decimal("3000.00"), datetime.date(2026, 12, 3))
    assert amounts(compute(DECEMBER, anna.team), anna) == {
        ("revenue_percent", "handed_to_partner"): Decimal("600.00")}
    # Once: a second "received" for the same report is refused, nothing more is paid.
    with pytest.raises(PartnerPortalError):
        handed_commission_received(report=report, received_on=datetime.date(2026, 12, 4),
                                   by=pw.people["admin"].user)
    assert Payment.objects.filter(lead=pw.one.handed.lead).count() == 1


def test_the_leads_admin_page_offers_handing_it_to_a_partner(pw, client):
    lead = LeadFactory(owner=pw.people["anna"], source=LeadSource.COLD_CALL)
    client.force_login(pw.people["owner"].user)
    page = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert f'href="/handed-leads/hand/{lead.pk}/"' in page
    assert client.get(f"/handed-leads/hand/{lead.pk}/").status_code == 200


def test_a_lead_handed_already_is_not_offered_again_and_its_page_says_to_whom(pw, client):
    client.force_login(pw.people["owner"].user)
    lead = pw.one.handed.lead
    page = client.get(f"/admin/leads/lead/{lead.pk}/change/").content.decode()
    assert "/handed-leads/hand/" not in page
    text = client.get(f"/handed-leads/hand/{lead.pk}/").content.decode()
    assert "handed to Partner One already" in text and "<form method=\"post\" class" not in text
