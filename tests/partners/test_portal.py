"""The partner portal, /partner/ (issue 20): each partner sees their own referred leads with
their steps, their payments with the commission and its state as SPEC §5 computes it, and their
statements; another partner's ids answer 404."""

import datetime
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from leads.models import LeadSource, MilestoneKind
from leads.services import lead_milestone_set, payment_refund
from payouts.models import PartnerStatement
from payouts.partners import (
    CommissionState,
    partner_payment_commissions,
    partner_statement_compute,
    partner_statement_finalise,
    partner_statement_mark_paid,
)
from tests.factories import LeadFactory, PartnerFactory, PaymentFactory
from tests.payouts.helpers import moscow

pytestmark = pytest.mark.django_db


def _page(client, side, path="/partner/"):
    client.force_login(side.partner.user)
    return client.get(path)


def test_a_partner_sees_own_referred_leads_and_nothing_of_the_other(pw, client):
    text = _page(client, pw.one).content.decode()
    assert "Client of One" in text and "Handed to One" in text
    assert "Client of Two" not in text and "Handed to Two" not in text
    assert "Partner Two" not in text


def test_a_referred_lead_shows_its_steps_with_dates_and_only_the_managers_first_name(
        pw, client):
    lead_milestone_set(lead=pw.one.lead, kind=MilestoneKind.CONFIRMED,
                       at=moscow(2026, 10, 3, 10, 0))
    lead_milestone_set(lead=pw.one.lead, kind=MilestoneKind.ARRIVED,
                       at=moscow(2026, 10, 10, 10, 0))
    response = _page(client, pw.one)
    [row] = response.context["leads"]
    assert [(step, at.date()) for step, at in row.steps] == [
        ("received", datetime.date(2026, 10, 1)), ("qualified", datetime.date(2026, 10, 3)),
        ("confirmed", datetime.date(2026, 10, 10))]
    assert (row.status, row.manager_first_name) == ("confirmed", "Anna")
    text = response.content.decode()
    assert "Anna" in text and "Smirnova" not in text and "anna" not in text


def test_a_lost_or_fake_lead_reads_lost_to_the_partner(pw, client):
    lead_milestone_set(lead=pw.one.lead, kind=MilestoneKind.FAKE, at=moscow(2026, 10, 4, 10, 0))
    [row] = _page(client, pw.one).context["leads"]
    assert row.status == "lost"


@pytest.mark.parametrize("path", ["/partner/statements/{statement}/",
                                  "/partner/statements/{statement}/?format=pdf",
                                  "/partner/statements/{statement}/?format=xlsx",
                                  "/partner/handed/{handed}/"])
def test_another_partners_id_in_a_url_answers_404(pw, client, path):
    url = path.format(statement=pw.two.statement.pk, handed=pw.two.handed.pk)
    assert _page(client, pw.one, url).status_code == 404
    # And an id that exists nowhere answers the same.
    missing = path.format(statement=999999, handed=999999)
    assert _page(client, pw.one, missing).status_code == 404


def test_a_statement_opens_with_its_lines_and_downloads_as_pdf_and_xlsx(pw, client):
    url = f"/partner/statements/{pw.one.statement.pk}/"
    page = _page(client, pw.one, url)
    assert page.status_code == 200 and "Client of One" in page.content.decode()
    pdf = client.get(url + "?format=pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf.content)).pages)
    assert "Partner statement, November 2026" in text and "Partner One" in text
    xlsx = client.get(url + "?format=xlsx")
    sheet = load_workbook(BytesIO(xlsx.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert Decimal("5000.00") in values and "Minimum payout" in values


def test_the_portal_shows_the_minimum_payout_and_the_balance_carried(pw, client):
    PartnerStatement.objects.filter(pk=pw.one.statement.pk).update(carried_out=Decimal("750"))
    text = _page(client, pw.one).content.decode()
    assert "1,000.00" in text and "750.00" in text


def test_the_portal_is_in_russian_for_a_russian_reader(pw, client):
    client.force_login(pw.one.partner.user)
    text = client.get("/partner/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Лиды, которые вы привели" in text and "Ваши выписки" in text


# --- each payment's commission and state, as the statements computed them (SPEC §5) ---------

@pytest.fixture
def referred():
    partner = PartnerFactory(default_percent=Decimal("10"), hold_days=30)
    return partner, LeadFactory(source=LeadSource.PARTNER_REFERRED, partner=partner)


def _states(partner, today):
    return {c.payment.pk: (c.state, c.commission, c.statement.month if c.statement else None)
            for c in partner_payment_commissions(partner=partner, today=today)}


def test_a_payment_is_in_hold_until_its_day_then_payable_then_on_a_statement(referred):
    partner, lead = referred
    payment = PaymentFactory(lead=lead, amount=Decimal("50000.00"),
                             received_on=datetime.date(2026, 11, 10))
    [hold] = partner_payment_commissions(partner=partner, today=datetime.date(2026, 12, 9))
    assert (hold.state, hold.payable_on, hold.commission) == (
        CommissionState.HOLD, datetime.date(2026, 12, 10), Decimal("5000.00"))
    assert _states(partner, datetime.date(2026, 12, 10)) == {
        payment.pk: (CommissionState.PAYABLE, Decimal("5000.00"), None)}
    partner_statement_compute(partner=partner, month=datetime.date(2026, 12, 1))
    assert _states(partner, datetime.date(2026, 12, 10)) == {
        payment.pk: (CommissionState.ON_STATEMENT, Decimal("5000.00"),
                     datetime.date(2026, 12, 1))}


def test_a_payment_refunded_inside_the_hold_reads_reversed_and_earns_nothing(referred):
    partner, lead = referred
    payment = PaymentFactory(lead=lead, amount=Decimal("20000.00"),
                             received_on=datetime.date(2026, 10, 20))
    payment_refund(payment=payment, received_on=datetime.date(2026, 11, 5))
    assert _states(partner, datetime.date(2026, 12, 1)) == {
        payment.pk: (CommissionState.REVERSED, Decimal("0.00"), None)}


def test_a_paid_commission_reads_paid_and_a_later_refund_reads_reversed_with_the_clawback(
        referred, django_user_model):
    partner, lead = referred
    admin = django_user_model.objects.create_superuser("root", password="!")
    payment = PaymentFactory(lead=lead, amount=Decimal("50000.00"),
                             received_on=datetime.date(2026, 9, 20))
    with time_machine.travel(moscow(2026, 11, 2, 10, 0), tick=False):
        october = partner_statement_compute(partner=partner, month=datetime.date(2026, 10, 1))
        partner_statement_finalise(statement=october, by=admin)
        partner_statement_mark_paid(statement=october, by=admin)
    assert _states(partner, datetime.date(2026, 11, 2)) == {
        payment.pk: (CommissionState.PAID, Decimal("5000.00"), datetime.date(2026, 10, 1))}
    payment_refund(payment=payment, received_on=datetime.date(2026, 11, 3))
    partner_statement_compute(partner=partner, month=datetime.date(2026, 11, 1))
    [reversed_] = partner_payment_commissions(partner=partner, today=datetime.date(2026, 11, 4))
    assert (reversed_.state, reversed_.clawed_back, reversed_.clawback_statement.month) == (
        CommissionState.REVERSED, Decimal("-5000.00"), datetime.date(2026, 11, 1))


def test_a_lead_handed_to_the_partner_with_no_payment_reported_reads_nothing_reported(
        pw, client):
    pw.one.handed_payment.delete()
    client.force_login(pw.one.partner.user)
    page = client.get("/partner/")
    assert page.status_code == 200
    (handed,) = page.context["handed"]
    assert (handed.reported, handed.owed) == (Decimal("0.00"), Decimal("0.00"))
