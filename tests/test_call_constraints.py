"""SPEC §2 and §6.1 held by the database itself, not only by forms."""

import pytest
from django.db import IntegrityError, transaction

from tests.factories import CallFactory, ManagerFactory

pytestmark = pytest.mark.django_db


def test_duplicate_call_id_from_same_source_is_refused_by_the_database():
    first = CallFactory(source="asterisk-main", external_id="1231977075.0")
    with pytest.raises(IntegrityError), transaction.atomic():
        CallFactory(source="asterisk-main", external_id="1231977075.0", manager=first.manager)


def test_duplicate_call_id_is_refused_by_bulk_insert_as_well():
    from salesops.models import CallLog

    call = CallFactory(source="asterisk-main", external_id="dup")
    clone = CallLog(
        source="asterisk-main", external_id="dup", manager=call.manager,
        started_at=call.started_at, duration_s=5, talk_s=5,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CallLog.objects.bulk_create([clone])
    assert CallLog.objects.count() == 1


def test_same_call_id_from_another_source_is_a_different_call():
    manager = ManagerFactory()
    CallFactory(source="asterisk-main", external_id="42", manager=manager)
    CallFactory(source="twilio", external_id="42", manager=manager)


@pytest.mark.parametrize("field", ["duration_s", "talk_s", "wrapup_s"])
def test_negative_duration_is_refused_by_the_database(field):
    values = {"duration_s": 60, "talk_s": 30, "wrapup_s": 0, field: -1}
    with pytest.raises(IntegrityError), transaction.atomic():
        CallFactory(**values)


def test_talk_longer_than_the_call_is_refused_by_the_database():
    # Asterisk's billsec can never exceed duration; a row that says so is bad data.
    with pytest.raises(IntegrityError), transaction.atomic():
        CallFactory(duration_s=5, talk_s=7)


def test_talk_equal_to_duration_is_accepted():
    assert CallFactory(duration_s=7, talk_s=7).pk


def test_operator_seconds_are_duration_plus_wrapup():
    assert CallFactory.build(duration_s=310, talk_s=300, wrapup_s=60).operator_s == 370
