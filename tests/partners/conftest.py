"""Two partners, each with a login, a lead they referred (with a payment and a statement), a lead
we handed them (with a reported payment), and the people of our side: anna who owns and hands
leads, boris of another team, and an admin. Nothing of one partner may reach the other."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.models import LeadSource, Partner
from leads.partners.models import HandedLead, HandedLeadPayment, ReferralLink
from payouts.models import PartnerStatement, PartnerStatementLine
from salesops.models import Role
from tests.factories import (
    LeadFactory,
    ManagerFactory,
    PaymentFactory,
    TeamFactory,
    UserFactory,
)
from tests.payouts.helpers import NOVEMBER, moscow


@dataclass
class Side:
    partner: Partner
    lead: object = None
    payment: object = None
    statement: object = None
    handed: object = None
    handed_payment: object = None
    link: object = None


@dataclass
class PartnerWorld:
    one: Side
    two: Side
    people: dict = field(default_factory=dict)


def _side(name, code, *, owner, phone, tax_id):
    user = UserFactory(username=f"partner.{code}", first_name=name, email=f"{code}@partner.test")
    partner = Partner.objects.create(name=f"Partner {name}", user=user,
                                     email=f"{code}@partner.test",
                                     default_percent=Decimal("10"), hold_days=30,
                                     minimum_payout=Decimal("1000.00"))
    side = Side(partner=partner)
    side.link = ReferralLink.objects.create(partner=partner, code=f"code-{code}")
    side.lead = LeadFactory(owner=owner, source=LeadSource.PARTNER_REFERRED, partner=partner,
                            phone=phone, tax_id=tax_id, company=f"Client of {name}",
                            created_at=moscow(2026, 10, 1, 10, 0))
    side.payment = PaymentFactory(lead=side.lead, amount=Decimal("50000.00"),
                                  received_on=datetime.date(2026, 10, 5))
    side.statement = PartnerStatement.objects.create(partner=partner, month=NOVEMBER,
                                                     computed_at=timezone.now())
    PartnerStatementLine.objects.create(
        statement=side.statement, kind="commission", payment=side.payment,
        base=Decimal("50000.00"), percent=Decimal("10"), amount=Decimal("5000.00"),
        payable_on=datetime.date(2026, 11, 4))
    handed_lead = LeadFactory(owner=owner, source=LeadSource.HANDED_TO_PARTNER,
                              company=f"Handed to {name}", created_at=moscow(2026, 10, 2, 10, 0))
    side.handed = HandedLead.objects.create(
        lead=handed_lead, partner=partner, handed_by=owner, percent=Decimal("10"),
        handed_at=moscow(2026, 10, 2, 12, 0), last_update_at=moscow(2026, 10, 2, 12, 0))
    side.handed_payment = HandedLeadPayment.objects.create(
        handed_lead=side.handed, amount=Decimal("30000.00"),
        received_on=datetime.date(2026, 10, 20), commission=Decimal("3000.00"),
        due_on=datetime.date(2026, 11, 19), reported_at=moscow(2026, 10, 21, 10, 0),
        reported_by=user)
    return side


@pytest.fixture
def pw(db):
    north, south = TeamFactory(code="north"), TeamFactory(code="south")
    anna = ManagerFactory(user=UserFactory(username="anna", first_name="Anna",
                                           last_name="Smirnova"), team=north)
    boris = ManagerFactory(user=UserFactory(username="boris", first_name="Boris"), team=south)
    admin = ManagerFactory(user=UserFactory(username="admin", is_staff=True), role=Role.ADMIN,
                           team=None)
    owner = ManagerFactory(user=UserFactory(username="owner", is_staff=True), role=Role.OWNER,
                           team=None)
    world = PartnerWorld(
        one=_side("One", "one", owner=anna, phone="+79160000001", tax_id="7701000001"),
        two=_side("Two", "two", owner=boris, phone="+79160000002", tax_id="7701000002"),
        people={"anna": anna, "boris": boris, "admin": admin, "owner": owner},
    )
    return world
