"""One organisation for the access tests, built once per module (the matrix is hundreds of
requests): two teams, a person of every role, and for every kind of row one that belongs to
the north side (``own``: anna's, the north team's, partner one's) and one that does not
(``other``: boris's, the south team's, partner two's, the owner's login).

Each test runs inside its own savepoint on top of this data, so writes never leak between
tests; the whole world is rolled back at the end of the module.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from leads.models import LeadMilestone, MilestoneKind, Partner, Payment
from leads.partners.models import HandedLead, HandedLeadPayment, PayoutDetails
from payouts.exceptions import commission_exception_request
from payouts.inquiries import inquiry_raise
from payouts.models import (
    ComponentKind,
    ComponentRate,
    ExceptionKind,
    PartnerStatement,
    PartnerStatementLine,
    PayoutLine,
    PayoutRun,
)
from payouts.vendors.models import Pilot, Vendor, VendorGuest, VendorStatement
from salesops import policy
from salesops.models import (
    AuditEntry,
    DailyManagerStats,
    ImportBatch,
    ImportPreset,
    ImportRowError,
    ManagerAlias,
    Outcome,
    Role,
    StatusMapping,
)
from salesops.services import manager_create
from tests.factories import (
    CallFactory,
    LeadFactory,
    MonthlyPlanFactory,
    TeamFactory,
    UserFactory,
    WorkShiftFactory,
)
from tests.payouts.factories import plan_for
from tests.payouts.helpers import NOVEMBER, compute, moscow

# The login each policy role is tried as (anonymous: no login).
PERSONAS = ("anonymous", "manager", "sales_head", "admin", "owner", "partner",
            "vendor_guest")


@dataclass
class World:
    users: dict = field(default_factory=dict)  # persona → User (None for anonymous)
    own: dict = field(default_factory=dict)  # model label → a row on the north side
    other: dict = field(default_factory=dict)  # model label → a row outside it
    people: dict = field(default_factory=dict)  # name → Manager


def _person(username, role, team=None):
    # An unusable password: logins are forced, and hashing hundreds of passwords is slow.
    return manager_create(username=username, role=role, team=team, password_hash="!",
                          active_from=datetime.date(2026, 1, 1))


def _side(world, suffix, team, manager, head, partner):
    """The rows of one side; returns {model label: row}."""
    rows = {}
    call = CallFactory(manager=manager, started_at=moscow(2026, 11, 3, 10, 0), talk_s=45,
                       duration_s=60, outcome=Outcome.CONSENT)
    rows["salesops.calllog"] = call
    rows["salesops.workshift"] = WorkShiftFactory(manager=manager,
                                                  started_at=moscow(2026, 11, 3, 9, 0))
    rows["salesops.monthlyplan"] = MonthlyPlanFactory(manager=manager)
    rows["salesops.manager"] = manager
    rows["salesops.team"] = team
    rows["salesops.dailymanagerstats"] = DailyManagerStats.objects.create(
        manager=manager, day=datetime.date(2026, 11, 3), calls=1, conversations=1)
    batch = ImportBatch(source=f"pbx-{suffix}", file_name=f"{suffix}.csv")
    batch.file.save(f"{suffix}.csv", ContentFile(b"started_at,duration\n"), save=False)
    batch.save()
    rows["salesops.importbatch"] = batch
    rows["salesops.importrowerror"] = ImportRowError.objects.create(
        batch=batch, line=2, reason="unknown manager")
    rows["salesops.importpreset"] = ImportPreset.objects.create(
        name=f"preset-{suffix}", label=f"Preset {suffix}", source="pbx",
        columns={"started_at": "start", "duration": "dur"})
    rows["salesops.statusmapping"] = StatusMapping.objects.create(
        preset=f"preset-{suffix}", value="ANSWERED", outcome=Outcome.CONSENT)
    rows["salesops.manageralias"] = ManagerAlias.objects.create(value=f"agent-{suffix}",
                                                                manager=manager)
    lead = LeadFactory(owner=manager, partner=partner, source="partner_referred",
                       created_at=moscow(2026, 10, 1, 10, 0))
    rows["leads.lead"] = lead
    rows["leads.leadmilestone"] = LeadMilestone.objects.create(
        lead=lead, kind=MilestoneKind.CONFIRMED, at=moscow(2026, 11, 4, 10, 0))
    payment = Payment.objects.create(lead=lead, amount=Decimal("100000.00"),
                                     received_on=datetime.date(2026, 11, 5))
    rows["leads.payment"] = payment
    rows["leads.partner"] = partner
    version = plan_for(manager, {"kind": ComponentKind.PER_CONFIRMED_LEAD,
                                 "rate": Decimal("500")})
    component = version.components.get()
    rows["payouts.compensationplan"] = version.plan
    rows["payouts.planversion"] = version
    rows["payouts.plancomponent"] = component
    rows["payouts.componentrate"] = ComponentRate.objects.create(
        component=component, outcome=Outcome.CONSENT, rate=Decimal("1"))
    rows["payouts.planassignment"] = version.plan.assignments.get()
    exception = commission_exception_request(
        lead=lead, kind=ExceptionKind.RATE, rate=Decimal("5"), requested_by=head.user,
        reason="the owner agreed 5%", component_kind=ComponentKind.PER_CONFIRMED_LEAD)
    rows["payouts.commissionexception"] = exception
    run = compute(NOVEMBER, team, requested_by=head.user)
    rows["payouts.payoutrun"] = run
    rows["payouts.payoutruntransition"] = run.transitions.first()
    rows["payouts.payoutline"] = PayoutLine.objects.filter(run=run).first()
    rows["payouts.payoutinquiry"] = inquiry_raise(
        line=rows["payouts.payoutline"], comment="a lead of mine is missing",
        raised_by=manager.user)
    statement = PartnerStatement.objects.create(partner=partner, month=NOVEMBER,
                                                computed_at=timezone.now())
    rows["payouts.partnerstatement"] = statement
    rows["payouts.partnerstatementline"] = PartnerStatementLine.objects.create(
        statement=statement, kind="commission", payment=payment, base=Decimal("100000.00"),
        percent=Decimal("10"), amount=Decimal("10000.00"), payable_on=datetime.date(2026, 12, 5))
    vendor = Vendor.objects.create(code=f"kc-{suffix}", name=f"KC {suffix}",
                                   team=TeamFactory(code=f"kc-{suffix}"))
    rows["vendors.vendor"] = vendor
    rows["vendors.vendorstatement"] = VendorStatement.objects.create(vendor=vendor,
                                                                     month=NOVEMBER)
    rows["vendors.pilot"] = Pilot.objects.create(
        code=f"pilot-{suffix}", name=f"Pilot {suffix}", vendor=vendor, plan=version.plan,
        starts_on=datetime.date(2026, 11, 2), ends_on=datetime.date(2026, 11, 20))
    rows["vendors.vendorguest"] = None
    # A lead handed to the partner, with a payment the partner reported (issue 20).
    handed = HandedLead.objects.create(
        lead=LeadFactory(owner=manager, source="handed_to_partner",
                         created_at=moscow(2026, 11, 6, 10, 0)),
        partner=partner, handed_by=manager, percent=Decimal("10"),
        handed_at=moscow(2026, 11, 6, 11, 0), last_update_at=moscow(2026, 11, 6, 11, 0))
    rows["partner_portal.handedlead"] = handed
    rows["partner_portal.handedleadpayment"] = HandedLeadPayment.objects.create(
        handed_lead=handed, amount=Decimal("20000.00"), received_on=datetime.date(2026, 11, 7),
        commission=Decimal("2000.00"), due_on=datetime.date(2026, 11, 21),
        reported_at=moscow(2026, 11, 8, 10, 0))
    rows["partner_portal.payoutdetails"] = PayoutDetails.objects.create(
        partner=partner, method="other", other_details=f"cash to {suffix}",
        requested_at=moscow(2026, 11, 8, 10, 0))
    rows["salesops.auditentry"] = AuditEntry.objects.create(
        action="exception_requested", object_type="payouts.commissionexception",
        object_id=exception.pk, by=head.user, at=timezone.now(), before={}, after={})
    return rows


def build_world() -> World:
    world = World()
    north, south = TeamFactory(code="north"), TeamFactory(code="south")
    people = {
        "anna": _person("anna", Role.MANAGER, north),
        "boris": _person("boris", Role.MANAGER, south),
        "head_north": _person("head.north", Role.SALES_HEAD, north),
        "head_south": _person("head.south", Role.SALES_HEAD, south),
        "admin": _person("admin", Role.ADMIN),
        "owner": _person("owner", Role.OWNER),
    }
    world.people = people
    partner_one = Partner.objects.create(name="Partner one",
                                         user=UserFactory(username="partner.one",
                                                          password="!"))
    partner_two = Partner.objects.create(name="Partner two")
    world.users = {
        "anonymous": None, "manager": people["anna"].user,
        "sales_head": people["head_north"].user, "admin": people["admin"].user,
        "owner": people["owner"].user, "partner": partner_one.user,
    }
    world.own = _side(world, "n", north, people["anna"], people["head_north"], partner_one)
    world.other = _side(world, "s", south, people["boris"], people["head_south"],
                        partner_two)
    # A vendor's client's guest login: the north side's vendor is its own (issue 19).
    world.users["vendor_guest"] = VendorGuest.objects.create(
        user=UserFactory(username="kc.client", password="!"),
        vendor=world.own["vendors.vendor"]).user
    # Logins: anna's is below an admin, the owner's is above; groups are nobody's to edit.
    world.own["auth.user"], world.other["auth.user"] = people["anna"].user, people["owner"].user
    world.own["auth.group"] = Group.objects.get(name="Managers")
    world.other["auth.group"] = Group.objects.get(name="Owners")
    # Revenue tiers belong to revenue-percent components: the matrix tries their pages empty.
    world.own["payouts.revenuetier"] = world.other["payouts.revenuetier"] = None
    assert PayoutRun.objects.count() == 2
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media"))
    with media, django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


def login(client, world, persona):
    user = world.users[persona]
    if user is not None:
        client.force_login(user)
    return user


def policy_user(world, persona):
    """The user object the policy is asked about (a fresh copy: no cached relations)."""
    user = world.users[persona]
    if user is None:
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    return type(user).objects.select_related("manager").get(pk=user.pk)


__all__ = ["PERSONAS", "World", "login", "policy", "policy_user", "world"]
