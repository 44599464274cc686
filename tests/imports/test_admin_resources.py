"""The admin's django-import-export path for small files reads values like the big importer."""

import datetime

import pytest
import tablib

from salesops.imports.resources import CallResource, MonthlyPlanResource
from salesops.models import CallLog, MonthlyPlan, Outcome

from .factories import ManagerFactory

pytestmark = pytest.mark.django_db
MSK = datetime.timezone(datetime.timedelta(hours=3))


def _calls():
    return tablib.Dataset(
        ["crm", "c-1", "201", "27.01.2026 15:07:24", "02:05", "1:50", "", "8 916 123-45-67",
         "Презентация", "Исходящий"],
        ["crm", "c-2", "anna@example.com", "2026/1/27 15:20", "40", "0", "", 79162223344,
         "недозвон", "in"],
        headers=["source", "external_id", "manager", "started_at", "duration_s", "talk_s",
                 "wrapup_s", "phone", "outcome", "direction"],
    )


def test_the_call_resource_previews_then_imports_spreadsheet_values():
    manager = ManagerFactory(extension="201", telephony_email="anna@example.com")
    preview = CallResource().import_data(_calls(), dry_run=True)
    assert not preview.has_errors() and not preview.has_validation_errors()
    assert CallLog.objects.count() == 0
    result = CallResource().import_data(_calls(), dry_run=False)
    assert result.totals["new"] == 2
    first = CallLog.objects.get(external_id="c-1")
    assert (first.manager, first.duration_s, first.talk_s, first.phone, first.outcome) == (
        manager, 125, 110, "+79161234567", Outcome.PRESENTATION)
    assert first.started_at == datetime.datetime(2026, 1, 27, 15, 7, 24, tzinfo=MSK)
    second = CallLog.objects.get(external_id="c-2")
    assert (second.direction, second.phone, second.outcome) == ("in", "+79162223344",
                                                                Outcome.NO_ANSWER)


def test_the_call_resource_creates_nothing_on_a_second_import():
    ManagerFactory(extension="201", telephony_email="anna@example.com")
    CallResource().import_data(_calls(), dry_run=False)
    again = CallResource().import_data(_calls(), dry_run=False)
    assert again.totals["new"] == 0
    assert CallLog.objects.count() == 2


def test_the_call_resource_reports_an_unknown_manager_with_the_value():
    result = CallResource().import_data(_calls(), dry_run=True)
    assert result.has_validation_errors()
    first = result.invalid_rows[0]
    assert (first.number, first.field_specific_errors["manager"]) == (
        1, ["unknown manager: 201"])
    assert CallLog.objects.count() == 0


def test_the_plan_resource_updates_a_plan_by_manager_and_month():
    manager = ManagerFactory(extension="201")
    data = tablib.Dataset(["201", "2026-11-01", 1200, 20, "1000000.00"],
                          headers=["manager", "month", "target_conversations",
                                   "target_confirmed_leads", "target_revenue"])
    MonthlyPlanResource().import_data(data, dry_run=False)
    MonthlyPlanResource().import_data(data, dry_run=False)
    plan = MonthlyPlan.objects.get()
    assert (plan.manager, plan.month, plan.target_conversations) == (
        manager, datetime.date(2026, 11, 1), 1200)
