"""Statuses are never stored by guess (issue 17, SPEC §2). Telephony knows only whether somebody
picked up: its "answered" words are the *answered* outcome, never "secretary"; words that name a
result («Успешный», "successful", "sale", «Перезвонить») and any value neither the vocabulary
nor the admin's mappings know go to the bulk mapping with their row counts, a suggestion
pre-filled there and applied only when the admin confirms it. A value mapped once reads so in
every later file, of any layout, and is kept in one place (the status mappings)."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.imports.selectors import batch_unknown_values
from salesops.models import CallLog, ImportBatch, Outcome, StatusMapping

from .factories import ManagerFactory
from .test_bulk_values import calls_of, upload_and_confirm
from .workbooks import write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def semenov():
    return ManagerFactory(user__first_name="Илья", user__last_name="Семёнов", extension="201")


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


@pytest.mark.parametrize("word", ["Отвечен", "отвечено", "answered", "ANSWERED", "ANSWER",
                                  "Answer", "completed", "NORMAL_CLEARING", "Разговор"])
def test_an_answered_word_of_telephony_is_stored_as_answered_never_as_secretary(
    word, semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [("Семёнов Илья", word)]))
    assert (batch.created_count, batch.error_count) == (1, 0)
    assert CallLog.objects.get().outcome == Outcome.ANSWERED


@pytest.mark.parametrize("word", ["busy", "NO ANSWER", "no-answer", "No_Answer", "failed",
                                  "cancelled", "canceled", "voicemail", "Автоответчик", "Сброс",
                                  "Занято", "Не отвечен", "Нет ответа", "Голосовая почта"])
def test_a_word_of_telephony_for_nobody_on_the_line_is_no_answer(
    word, semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [("Семёнов Илья", word)]))
    assert (batch.created_count, batch.error_count) == (1, 0)
    assert CallLog.objects.get().outcome == Outcome.NO_ANSWER


@pytest.mark.parametrize("word", ["Успешный", "successful", "sale", "SALE", "Перезвонить",
                                  "callback", "Заявка", "Отказ"])
def test_a_word_naming_a_result_is_asked_with_its_row_count_never_stored(
    word, semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [("Семёнов Илья", word)] * 3))
    assert (batch.created_count, batch.error_count) == (0, 3)
    assert CallLog.objects.count() == 0
    assert [(item.value, item.rows) for item in batch_unknown_values(batch).statuses] == [
        (word, 3)]


def test_a_value_neither_the_vocabulary_nor_the_mappings_know_is_asked_with_its_row_count(
    semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [
        ("Семёнов Илья", "Статус 17"), ("Семёнов Илья", "Статус 17"),
        ("Семёнов Илья", "Отвечен"),
    ]))
    assert (batch.created_count, batch.error_count) == (1, 2)
    assert [(item.value, item.rows) for item in batch_unknown_values(batch).statuses] == [
        ("Статус 17", 2)]


def test_the_xlsx_of_the_issue_stores_no_secretary_for_answered_and_successful(
    semenov, tmp_path, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [
        ("Семёнов Илья", "Отвечен"), ("Семёнов Илья", "Успешный")]))
    assert list(CallLog.objects.values_list("outcome", flat=True)) == [Outcome.ANSWERED]
    assert not CallLog.objects.filter(outcome=Outcome.SECRETARY).exists()
    assert [item.value for item in batch_unknown_values(batch).statuses] == ["Успешный"]


def test_the_bulk_mapping_prefills_a_suggestion_and_saves_nothing_until_the_admin_confirms(
    admin_client, semenov, tmp_path, django_capture_on_commit_callbacks
):
    path = calls_of(tmp_path / "calls.xlsx", [("Семёнов Илья", "Успешный"),
                                             ("Семёнов Илья", "Статус 17")])
    first = upload_and_confirm(admin_client, path, django_capture_on_commit_callbacks)
    page = admin_client.get(reverse("imports:batch", args=[first.pk]))
    form = page.context["values_form"]
    rows = {item.value: (field.value(), suggested) for item, field, suggested in form.status_rows}
    names = {item.value: field.html_name for item, field, _suggested in form.status_rows}
    assert rows == {"Успешный": (Outcome.ANSWERED, True), "Статус 17": (None, False)}
    assert "suggested: saved only when you confirm" in page.content.decode()
    assert not StatusMapping.objects.filter(value__in=["успешный", "статус 17"]).exists()
    assert CallLog.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("imports:values", args=[first.pk]),
                          {names["Успешный"]: Outcome.CONSENT, names["Статус 17"]: ""})
    assert StatusMapping.objects.get(value="успешный").outcome == Outcome.CONSENT
    assert not StatusMapping.objects.filter(value="статус 17").exists()
    assert list(CallLog.objects.values_list("outcome", flat=True)) == [Outcome.CONSENT]


def test_a_status_mapped_once_reads_so_in_a_later_file_of_another_layout(
    admin_client, semenov, tmp_path, django_capture_on_commit_callbacks
):
    path = calls_of(tmp_path / "calls.xlsx", [("Семёнов Илья", "Статус 17")])
    first = upload_and_confirm(admin_client, path, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("imports:values", args=[first.pk]),
                          {"status_0": Outcome.PRESENTATION})
    # One place: a mapping for any layout.
    assert list(StatusMapping.objects.filter(value="статус 17").values_list("preset", "outcome")
                ) == [("", Outcome.PRESENTATION)]
    other = write_xlsx(tmp_path / "other.xlsx", [
        ["Менеджер", "Начало звонка", "Общая длительность", "Разговор", "Итог", "Номер"],
        ["Семёнов Илья", datetime.datetime(2026, 10, 6, 9, 0), 100, 80, "СТАТУС 17",
         "+79160000001"],
    ])
    second = upload_and_confirm(admin_client, other, django_capture_on_commit_callbacks)
    assert (second.created_count, second.error_count) == (1, 0)
    assert CallLog.objects.get(batch=second).outcome == Outcome.PRESENTATION


def test_an_answered_call_with_no_status_column_is_answered(semenov, tmp_path, run_import):
    run_import(write_xlsx(tmp_path / "calls.xlsx", [
        ["ID звонка", "Сотрудник", "Дата и время", "Длительность", "Длительность разговора"],
        ["a-1", "Семёнов Илья", datetime.datetime(2026, 10, 5, 9, 0), 90, 70],
        ["a-2", "Семёнов Илья", datetime.datetime(2026, 10, 5, 9, 5), 30, 0],
    ]))
    assert dict(CallLog.objects.values_list("external_id", "outcome")) == {
        "a-1": Outcome.ANSWERED, "a-2": Outcome.NO_ANSWER}
    assert ImportBatch.objects.get().error_count == 0
