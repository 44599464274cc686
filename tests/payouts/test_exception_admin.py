"""The admin queue of commission exceptions and the read-only audit trail (SPEC §5)."""

from decimal import Decimal

import pytest
from django.utils import formats, translation

from leads.models import LeadSource
from payouts.exceptions import commission_exception_request
from payouts.models import CommissionException, ComponentKind, ExceptionKind, ExceptionStatus
from payouts.selectors import exception_amount_at_stake
from salesops.models import AuditEntry, Role
from tests.factories import LeadFactory, ManagerFactory, PaymentFactory, TeamFactory
from tests.payouts.factories import person, plan_for
from tests.payouts.helpers import NOVEMBER, compute

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    team = TeamFactory(code="north")
    anna = ManagerFactory(team=team)
    plan_for(anna, {"kind": ComponentKind.REVENUE_PERCENT, "rate": Decimal("10")})
    lead = LeadFactory(owner=anna, source=LeadSource.OWNER_ROUTED)
    PaymentFactory(lead=lead, amount=Decimal("500000.00"))
    head = person(Role.SALES_HEAD, team)
    exception = commission_exception_request(
        lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"), requested_by=head.user,
        reason="the owner agreed 5%",
    )
    compute(NOVEMBER, team)
    return head, exception


def test_the_queue_shows_the_amount_at_stake(floor, client):
    head, exception = floor
    assert exception_amount_at_stake(exception=exception) == Decimal("50000.00")
    client.force_login(person(Role.OWNER).user)
    page = client.get("/admin/payouts/commissionexception/?status__exact=pending")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    with translation.override(page.wsgi_request.LANGUAGE_CODE):
        assert formats.localize(Decimal("50000.00")) in page.content.decode()


def test_the_admin_approve_action_calls_the_service_and_refuses_the_requester(floor, client):
    head, exception = floor
    client.force_login(head.user)
    client.post("/admin/payouts/commissionexception/",
                {"action": "approve", "_selected_action": [exception.pk]})
    assert CommissionException.objects.get(pk=exception.pk).status == ExceptionStatus.PENDING
    client.force_login(person(Role.OWNER).user)
    client.post("/admin/payouts/commissionexception/",
                {"action": "approve", "_selected_action": [exception.pk]})
    assert CommissionException.objects.get(pk=exception.pk).status == ExceptionStatus.APPROVED
    assert AuditEntry.objects.filter(object_id=exception.pk, action="exception_approved").exists()


def test_a_request_from_the_admin_records_the_requester_and_needs_a_reason(floor, client):
    head, exception = floor
    other = LeadFactory(owner=exception.lead.owner)
    client.force_login(head.user)
    client.post("/admin/payouts/commissionexception/add/", {
        "lead": other.pk, "component_kind": "revenue_percent", "kind": "exclude", "reason": "",
    })
    assert not CommissionException.objects.filter(lead=other).exists()
    client.post("/admin/payouts/commissionexception/add/", {
        "lead": other.pk, "component_kind": "revenue_percent", "kind": "exclude",
        "reason": "test client",
    })
    assert CommissionException.objects.get(lead=other).requested_by == head.user


def test_moving_a_paid_commission_is_requested_in_the_admin_naming_who_it_moves_to(
    floor, client
):
    """SPEC §6.7: the request names the person; its approval moves the commission (see
    tests/payouts/test_ordinary_month.py for the lines it makes)."""
    head, exception = floor
    boris = ManagerFactory(team=exception.lead.owner.team)
    other = LeadFactory(owner=exception.lead.owner)
    client.force_login(head.user)
    client.post("/admin/payouts/commissionexception/add/", {
        "lead": other.pk, "component_kind": "revenue_percent", "kind": "transfer",
        "reason": "Boris closed it",
    })
    assert not CommissionException.objects.filter(lead=other).exists()  # nobody named
    client.post("/admin/payouts/commissionexception/add/", {
        "lead": other.pk, "component_kind": "revenue_percent", "kind": "transfer",
        "transfer_to": boris.pk, "reason": "Boris closed it",
    })
    moved = CommissionException.objects.get(lead=other)
    assert (moved.kind, moved.transfer_to, moved.requested_by) == (
        ExceptionKind.TRANSFER, boris, head.user)


def test_nobody_can_edit_the_audit_trail_in_the_admin(floor, client):
    client.force_login(person(Role.ADMIN).user)
    entry = AuditEntry.objects.first()
    assert client.get("/admin/salesops/auditentry/").status_code == 200
    page = client.get(f"/admin/salesops/auditentry/{entry.pk}/change/")
    assert "Save" not in page.content.decode()
    assert client.post(f"/admin/salesops/auditentry/{entry.pk}/delete/", {"post": "yes"}) \
        .status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
