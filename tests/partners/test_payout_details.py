"""Payout details (issue 20): the partner edits them; a change takes effect only once an owner
or admin confirms it, and every step is audited (where a fraudster would redirect money)."""

import pytest

from leads.partners.models import DetailsStatus, PayoutDetails
from leads.partners.services import (
    PartnerPortalError,
    payout_details_confirm,
    payout_details_in_force,
    payout_details_reject,
    payout_details_request,
)
from salesops import policy
from salesops.models import AuditEntry

pytestmark = pytest.mark.django_db
CARD = {"method": "card", "legal_name": "Ivan Petrov", "card_number": "4276 1600 1234 5678"}
BANK = {"method": "bank_transfer", "legal_name": "OOO Partner", "tax_id": "7701000001",
        "bank_name": "Sber", "bank_bic": "044525225", "account_number": "40702810900000000001"}


def test_a_change_asked_in_the_portal_waits_and_changes_nothing_until_confirmed(pw, client):
    client.force_login(pw.one.partner.user)
    response = client.post("/partner/payout-details/", CARD, follow=True)
    assert "take effect once we confirm" in response.content.decode()
    pending = PayoutDetails.objects.get(partner=pw.one.partner)
    assert pending.status == DetailsStatus.PENDING
    assert payout_details_in_force(partner=pw.one.partner) is None
    entry = AuditEntry.objects.get(action="payout_details_requested")
    assert (entry.by, entry.after["summary"]) == (pw.one.partner.user, "Card •••• 5678")


def test_an_admin_confirms_and_the_new_details_replace_the_old_ones_audited(pw):
    admin = pw.people["admin"].user
    first = payout_details_request(partner=pw.one.partner, by=pw.one.partner.user, **BANK)
    payout_details_confirm(details=first, by=admin)
    second = payout_details_request(partner=pw.one.partner, by=pw.one.partner.user, **CARD)
    assert payout_details_in_force(partner=pw.one.partner) == first
    payout_details_confirm(details=second, by=admin)
    first.refresh_from_db()
    assert (first.status, payout_details_in_force(partner=pw.one.partner)) == (
        DetailsStatus.SUPERSEDED, second)
    assert list(AuditEntry.objects.filter(object_type="partner_portal.payoutdetails")
                .order_by("pk").values_list("action", "by__username")) == [
        ("payout_details_requested", "partner.one"), ("payout_details_confirmed", "admin"),
        ("payout_details_requested", "partner.one"), ("payout_details_confirmed", "admin")]


def test_a_partner_cannot_confirm_own_change_nor_ask_for_another_partner(pw):
    asked = payout_details_request(partner=pw.one.partner, by=pw.one.partner.user, **CARD)
    with pytest.raises(policy.AccessDenied):
        payout_details_confirm(details=asked, by=pw.one.partner.user)
    with pytest.raises(policy.AccessDenied):
        payout_details_request(partner=pw.two.partner, by=pw.one.partner.user, **CARD)
    with pytest.raises(policy.AccessDenied):
        payout_details_confirm(details=asked, by=pw.people["anna"].user)
    assert payout_details_in_force(partner=pw.one.partner) is None


def test_a_rejected_change_never_takes_effect(pw):
    asked = payout_details_request(partner=pw.one.partner, by=pw.one.partner.user, **CARD)
    payout_details_reject(details=asked, by=pw.people["owner"].user, comment="call to check")
    asked.refresh_from_db()
    assert asked.status == DetailsStatus.REJECTED
    assert payout_details_in_force(partner=pw.one.partner) is None
    with pytest.raises(PartnerPortalError):
        payout_details_confirm(details=asked, by=pw.people["admin"].user)


def test_details_missing_what_the_method_needs_are_refused(pw):
    with pytest.raises(PartnerPortalError, match="Fill in"):
        payout_details_request(partner=pw.one.partner, by=pw.one.partner.user, method="card")
    assert not PayoutDetails.objects.exists()


def test_an_admin_confirms_in_the_admin_with_an_action(pw, client):
    asked = payout_details_request(partner=pw.one.partner, by=pw.one.partner.user, **CARD)
    client.force_login(pw.people["admin"].user)
    client.post("/admin/partner_portal/payoutdetails/", {
        "action": "confirm", "_selected_action": [asked.pk]}, follow=True)
    asked.refresh_from_db()
    assert asked.status == DetailsStatus.CONFIRMED
