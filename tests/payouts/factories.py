"""Factories for compensation plans; people and activity come from tests/factories.py."""

import datetime
from decimal import Decimal

import factory

from payouts.models import (
    CompensationPlan,
    ComponentKind,
    ComponentRate,
    PlanAssignment,
    PlanComponent,
    PlanVersion,
    RevenueTier,
)


class CompensationPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompensationPlan

    code = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.Sequence(lambda n: f"Plan {n}")


class PlanVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanVersion

    plan = factory.SubFactory(CompensationPlanFactory)
    number = factory.Sequence(lambda n: n + 1)
    effective_from = datetime.date(2026, 1, 1)


class PlanComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanComponent

    version = factory.SubFactory(PlanVersionFactory)
    kind = ComponentKind.PER_MINUTE
    rate = Decimal("0")


class ComponentRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ComponentRate

    component = factory.SubFactory(PlanComponentFactory)
    rate = Decimal("0")


class RevenueTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RevenueTier

    component = factory.SubFactory(PlanComponentFactory, kind=ComponentKind.REVENUE_PERCENT)
    from_percent = Decimal("0")
    rate = Decimal("10")


class PlanAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanAssignment

    plan = factory.SubFactory(CompensationPlanFactory)
    effective_from = datetime.date(2026, 1, 1)


def plan_for(manager, *components, effective_from=datetime.date(2026, 1, 1), **version_fields):
    """A plan of ``components`` (dicts of PlanComponent fields, plus ``rates`` and ``tiers``
    lists) assigned to ``manager``; returns the version."""
    version = PlanVersionFactory(effective_from=effective_from, **version_fields)
    for spec in components:
        spec = dict(spec)
        rates, tiers = spec.pop("rates", []), spec.pop("tiers", [])
        component = PlanComponentFactory(version=version, **spec)
        for rate in rates:
            ComponentRateFactory(component=component, **rate)
        for tier in tiers:
            RevenueTierFactory(component=component, **tier)
    PlanAssignmentFactory(plan=version.plan, manager=manager, effective_from=effective_from)
    return version


def calls(manager, count, **fields):
    """``count`` calls of ``manager`` in one insert (big months need thousands)."""
    from salesops.models import CallLog
    from tests.factories import CallFactory

    return CallLog.objects.bulk_create(CallFactory.build_batch(count, manager=manager, **fields))


def person(role, team=None, *, username=None):
    """A manager made by the real service, so that the role's group and permissions apply."""
    from salesops.services import manager_create

    person.count = getattr(person, "count", 0) + 1
    return manager_create(
        username=username or f"{role}-{person.count}", role=role, team=team,
        password="secret-pass-123", active_from=datetime.date(2026, 1, 1),
    )


class CommissionExceptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "payouts.CommissionException"

    lead = factory.SubFactory("tests.factories.LeadFactory")
    kind = "rate"
    rate = Decimal("5")
    reason = "Owner agreed a lower rate with the client"
    requested_by = factory.SubFactory("tests.factories.UserFactory")
    requested_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))
