"""Leads, payments and partners through django-import-export, with per-row errors."""

import datetime
from decimal import Decimal

import pytest
import tablib

from leads.models import DuplicateState, Lead, Partner, Payment
from leads.resources import LeadResource, PartnerResource, PaymentResource
from tests.factories import LeadFactory, ManagerFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def _import(resource, headers, *rows, dry_run=False):
    # As the admin does: a preview listing every bad row, and nothing saved while there is one.
    return resource().import_data(tablib.Dataset(*rows, headers=headers), dry_run=dry_run,
                                  rollback_on_validation_errors=True)


def test_leads_import_normalises_phones_flags_duplicates_and_reports_bad_rows():
    owner = ManagerFactory(user__username="anna")
    first = LeadFactory(phone="+79161234567", created_at=datetime.datetime(2026, 1, 1,
                                                                           tzinfo=datetime.UTC))
    headers = ["company", "phone", "owner", "source", "created_at"]
    result = _import(LeadResource, headers,
                     ("Alpha", "8 916 123-45-67", "anna", "cold_call", "2026-11-02 10:00:00"),
                     ("Beta", "not a phone", "anna", "cold_call", "2026-11-02 10:00:00"),
                     ("Gamma", "9035550000", "nobody", "cold_call", "2026-11-02 10:00:00"))
    assert result.has_validation_errors() or result.has_errors()
    bad = sorted(row.number for row in result.invalid_rows) + sorted(
        number for number, _ in result.row_errors())
    assert bad == [2, 3]
    assert not Lead.objects.filter(company__in=["Alpha", "Beta", "Gamma"]).exists()
    clean = _import(LeadResource, headers,
                    ("Alpha", "8 916 123-45-67", "anna", "cold_call", "2026-11-02 10:00:00"))
    assert not clean.has_errors() and not clean.has_validation_errors()
    alpha = Lead.objects.get(company="Alpha")
    assert (alpha.phone, alpha.owner, alpha.duplicate_of, alpha.duplicate_state) == (
        "+79161234567", owner, first, DuplicateState.PENDING)


def test_payments_import_reports_a_negative_amount_that_refunds_nothing():
    lead = LeadFactory()
    headers = ["lead", "amount", "received_on", "kind"]
    result = _import(PaymentResource, headers,
                     (lead.pk, "1000.50", "2026-11-02", "one_time"),
                     (lead.pk, "-5.00", "2026-11-02", "one_time"))
    assert [row.number for row in result.invalid_rows] == [2]
    assert not Payment.objects.exists()
    _import(PaymentResource, headers, (lead.pk, "1000.50", "2026-11-02", "one_time"))
    assert Payment.objects.get().amount == Decimal("1000.50")


def test_partners_round_trip_through_export_and_import():
    PartnerFactory(name="Referral Co", default_percent=Decimal("12.50"))
    exported = PartnerResource().export()
    Partner.objects.all().delete()
    result = PartnerResource().import_data(exported)
    assert not result.has_errors() and not result.has_validation_errors()
    assert Partner.objects.get().default_percent == Decimal("12.50")
    bad = _import(PartnerResource, ["name", "default_percent"], ("Too much", "150"))
    assert [row.number for row in bad.invalid_rows] == [1]
