import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from leads.models import Lead, LeadMilestone, LeadSource, MilestoneKind, Partner, Payment
from salesops.models import CallLog, Manager, MonthlyPlan, Outcome, Role, Team, WorkShift


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("secret-pass-123")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    code = factory.Sequence(lambda n: f"team{n}")
    name = factory.Sequence(lambda n: f"Team {n}")


class ManagerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Manager

    user = factory.SubFactory(UserFactory)
    role = Role.MANAGER
    team = factory.SubFactory(TeamFactory)
    extension = factory.Sequence(lambda n: str(100 + n))
    active_from = datetime.date(2026, 1, 1)

    class Params:
        sales_head = factory.Trait(role=Role.SALES_HEAD)
        owner = factory.Trait(role=Role.OWNER, team=None)
        admin = factory.Trait(role=Role.ADMIN, team=None)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallLog

    source = "test-pbx"
    external_id = factory.Sequence(lambda n: f"call-{n}")
    manager = factory.SubFactory(ManagerFactory)
    started_at = factory.LazyFunction(timezone.now)
    duration_s = 60
    talk_s = 45
    wrapup_s = 0
    phone = "+79161234567"
    outcome = Outcome.DECISION_MAKER


class WorkShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkShift

    manager = factory.SubFactory(ManagerFactory)
    started_at = factory.LazyFunction(timezone.now)
    ended_at = factory.LazyAttribute(lambda o: o.started_at + datetime.timedelta(hours=8))


class MonthlyPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MonthlyPlan

    manager = factory.SubFactory(ManagerFactory)
    month = datetime.date(2026, 11, 1)
    target_conversations = 1200
    target_confirmed_leads = 20
    target_revenue = Decimal("1000000.00")


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company = factory.Sequence(lambda n: f"Company {n}")
    phone = factory.Sequence(lambda n: f"+7916{n:07d}")
    owner = factory.SubFactory(ManagerFactory)
    source = LeadSource.COLD_CALL
    created_at = factory.LazyFunction(timezone.now)


class LeadMilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadMilestone

    lead = factory.SubFactory(LeadFactory)
    kind = MilestoneKind.CONFIRMED
    at = factory.LazyFunction(timezone.now)


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    lead = factory.SubFactory(LeadFactory)
    amount = Decimal("50000.00")
    received_on = datetime.date(2026, 11, 2)
