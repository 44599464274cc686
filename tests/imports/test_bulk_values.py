"""Values mapped in bulk (issue 12): managers are found by full name in either order with ё
read as е; the common Russian and English status words are known by default; the error report
groups the unknown managers and statuses by value with their row counts, the admin maps each
value once and the file runs again: the rows that failed come in, the rows already imported
stay as they were."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.imports.selectors import batch_unknown_values
from salesops.models import CallLog, ImportBatch, ManagerAlias, Outcome, StatusMapping

from .factories import ManagerAliasFactory, ManagerFactory
from .workbooks import english_calls, write_xlsx

pytestmark = pytest.mark.django_db
HEADER = ["ID звонка", "Сотрудник", "Дата и время", "Длительность", "Длительность разговора",
          "Статус", "Телефон клиента"]


def calls_of(path, rows):
    """A Russian export: one call per (agent, status) given."""
    return write_xlsx(path, [HEADER, *(
        [f"r-{number}", agent, datetime.datetime(2026, 10, 5, 9, number), 120, 60, status,
         "+79161234567"]
        for number, (agent, status) in enumerate(rows, start=1)
    )])


@pytest.fixture
def semenov():
    return ManagerFactory(user__first_name="Илья", user__last_name="Семёнов", extension="201")


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1", user__first_name="Ada",
                           user__last_name="Admin")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


@pytest.mark.parametrize("written", ["Семёнов Илья", "Илья Семёнов", "семенов илья",
                                     "ИЛЬЯ  СЕМЕНОВ"])
def test_a_manager_is_matched_by_full_name_in_either_order_with_yo_read_as_e(
    written, semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [(written, "Отвечен")]))
    assert (batch.created_count, batch.error_count) == (1, 0)
    assert CallLog.objects.get().manager == semenov


def test_a_full_name_two_managers_share_matches_neither(tmp_path, run_import):
    ManagerFactory(user__first_name="Илья", user__last_name="Семёнов")
    ManagerFactory(user__first_name="Илья", user__last_name="Семенов")
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [("Семёнов Илья", "Отвечен")]))
    assert (batch.created_count, batch.error_count) == (0, 1)
    assert CallLog.objects.count() == 0


def test_an_alias_wins_over_a_full_name(semenov, tmp_path, run_import):
    other = ManagerFactory()
    ManagerAliasFactory(value="Илья Семёнов", manager=other)
    run_import(calls_of(tmp_path / "calls.xlsx", [("Илья Семёнов", "Отвечен")]))
    assert CallLog.objects.get().manager == other


@pytest.mark.parametrize(("status", "outcome"), [
    ("Ошибка", Outcome.NO_ANSWER), ("Занято", Outcome.NO_ANSWER),
    ("Не отвечен", Outcome.NO_ANSWER), ("Нет ответа", Outcome.NO_ANSWER),
    ("Пропущен", Outcome.NO_ANSWER), ("Сброшен", Outcome.NO_ANSWER),
    ("Голосовая почта", Outcome.NO_ANSWER), ("Отвечен", Outcome.ANSWERED),
    ("ANSWERED", Outcome.ANSWERED), ("Busy", Outcome.NO_ANSWER),
    ("Failed", Outcome.NO_ANSWER), ("Missed", Outcome.NO_ANSWER),
    ("Voicemail", Outcome.NO_ANSWER), ("Cancelled", Outcome.NO_ANSWER),
])
def test_russian_and_english_statuses_of_common_exports_are_known_by_default(
    status, outcome, semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [("Семёнов Илья", status)]))
    assert (batch.created_count, batch.error_count) == (1, 0)
    assert CallLog.objects.get().outcome == outcome


def test_the_error_report_groups_unknown_managers_and_statuses_by_value_with_row_counts(
    semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [
        ("Семёнов Илья", "Перезвонить"), ("Семёнов Илья", "Перезвонить"),
        ("Семёнов Илья", "Автоинформатор"), ("оператор 7", "Отвечен"),
        ("оператор 7", "Отвечен"), ("оператор 7", "Отвечен"), ("Ким Анна", "Отвечен"),
    ]))
    unknown = batch_unknown_values(batch)
    assert [(item.value, item.rows) for item in unknown.managers] == [
        ("оператор 7", 3), ("Ким Анна", 1)]
    assert [(item.value, item.rows) for item in unknown.statuses] == [
        ("Перезвонить", 2), ("Автоинформатор", 1)]
    assert batch.error_count == 7


def test_values_mapped_in_bulk_then_the_rerun_brings_in_the_rows_that_failed(
    admin_client, semenov, tmp_path, django_capture_on_commit_callbacks
):
    anna = ManagerFactory(user__first_name="Анна", user__last_name="Ким")
    path = calls_of(tmp_path / "calls.xlsx", [
        ("Семёнов Илья", "Отвечен"), ("Семёнов Илья", "Перезвонить"),
        ("Семёнов Илья", "Перезвонить"), ("оператор 7", "Отвечен"), ("оператор 7", "Отвечен"),
    ])
    first = upload_and_confirm(admin_client, path, django_capture_on_commit_callbacks)
    assert (first.created_count, first.error_count) == (1, 4)
    kept = CallLog.objects.get()
    page = admin_client.get(reverse("imports:batch", args=[first.pk]))
    form = page.context["values_form"]
    assert [(item.value, item.rows) for item, _field in form.manager_rows] == [("оператор 7", 2)]
    assert [(item.value, item.rows) for item, _field, _suggested in form.status_rows] == [
        ("Перезвонить", 2)]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("imports:values", args=[first.pk]), {
            "manager_0": anna.pk, "status_0": Outcome.DECISION_MAKER})
    again = ImportBatch.objects.latest("pk")
    assert response.url == reverse("imports:batch", args=[again.pk])
    again.refresh_from_db()
    assert (again.status, again.created_count, again.present_count, again.error_count) == (
        "done", 4, 1, 0)
    assert ManagerAlias.objects.get(value="оператор 7").manager == anna
    assert StatusMapping.objects.get(value="перезвонить").outcome == Outcome.DECISION_MAKER
    assert CallLog.objects.filter(manager=anna).count() == 2
    assert CallLog.objects.filter(outcome=Outcome.DECISION_MAKER).count() == 2
    unchanged = CallLog.objects.get(pk=kept.pk)
    assert (unchanged.batch_id, unchanged.manager, unchanged.outcome) == (
        first.pk, semenov, kept.outcome)


def test_mapping_no_value_changes_nothing_and_runs_nothing(admin_client, semenov, tmp_path,
                                                          django_capture_on_commit_callbacks):
    path = calls_of(tmp_path / "calls.xlsx", [("оператор 7", "Отвечен")])
    first = upload_and_confirm(admin_client, path, django_capture_on_commit_callbacks)
    response = admin_client.post(reverse("imports:values", args=[first.pk]),
                                 {"manager_0": "", "status_0": ""})
    assert response.url == reverse("imports:batch", args=[first.pk])
    assert ImportBatch.objects.count() == 1
    assert ManagerAlias.objects.count() == 0


def test_the_mapping_of_a_file_is_kept_when_it_runs_again(admin_client, tmp_path,
                                                          django_capture_on_commit_callbacks):
    """A batch whose columns the admin chose runs again with those columns."""
    path = english_calls(tmp_path / "calls.xlsx", agent="unknown@example.com")
    first = upload_and_confirm(admin_client, path, django_capture_on_commit_callbacks)
    anna = ManagerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("imports:values", args=[first.pk]), {"manager_0": anna.pk})
    again = ImportBatch.objects.latest("pk")
    assert again.mapping == first.mapping
    assert (again.status, again.created_count) == ("done", 6)


def upload_and_confirm(client, path, capture) -> ImportBatch:
    """Upload a file no preset knows, confirm the proposed columns, run it."""
    with open(path, "rb") as handle, capture(execute=True):
        client.post(reverse("imports:upload"), {"file": handle})
    batch = ImportBatch.objects.latest("pk")
    url = reverse("imports:columns", args=[batch.pk])
    form = client.get(url).context["form"]
    data = {f.html_name: f.value() for f in form if f.value() not in (None, False, "")}
    with capture(execute=True):
        client.post(url, data)
    batch.refresh_from_db()
    return batch
