"""Factories for the import tests, on top of the project's (tests/factories.py)."""

import factory

from salesops.models import ManagerAlias
from tests.factories import ManagerFactory


class ManagerAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManagerAlias

    value = factory.Sequence(lambda n: f"agent-{n}")
    manager = factory.SubFactory(ManagerFactory)


__all__ = ["ManagerAliasFactory", "ManagerFactory"]
