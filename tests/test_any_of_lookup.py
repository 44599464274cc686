"""``salesops.lookups.AnyOf``: a filter over many ids, sent as one array on PostgreSQL, that
matches exactly what ``__in`` matches, on every database."""

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from salesops.lookups import AnyOf
from salesops.models import Manager
from tests.factories import ManagerFactory, TeamFactory

pytestmark = pytest.mark.django_db


def _pks(condition) -> list[int]:
    return sorted(Manager.objects.filter(condition).values_list("pk", flat=True))


def test_any_of_matches_what_in_matches_on_a_column_through_a_relation_and_for_no_ids():
    north, south = TeamFactory(code="north"), TeamFactory(code="south")
    people = [ManagerFactory(team=north if n % 2 else south) for n in range(6)]
    ids = [p.pk for p in people[::2]] + [10**9]
    assert _pks(AnyOf(F("pk"), ids)) == _pks(Q(pk__in=ids)) == sorted(p.pk for p in people[::2])
    assert _pks(AnyOf(F("team__pk"), [north.pk])) == _pks(Q(team__pk__in=[north.pk])) \
        == sorted(p.pk for p in people[1::2])
    assert _pks(AnyOf(F("pk"), [])) == _pks(Q(pk__in=[])) == []
    assert _pks(AnyOf(F("pk"), ids) | Q(team=north)) == sorted(p.pk for p in people)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array is PostgreSQL's")
def test_any_of_sends_its_ids_as_one_array_on_postgresql():
    people = [ManagerFactory() for _ in range(3)]
    with CaptureQueriesContext(connection) as queries:
        assert _pks(AnyOf(F("pk"), [p.pk for p in people])) == sorted(p.pk for p in people)
    (sql,) = [q["sql"] for q in queries.captured_queries]
    assert "= ANY(" in sql and " IN (" not in sql
