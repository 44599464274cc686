"""Column mapping at upload (issue 12): a file no preset was made for is shown with its first
rows and the column each field was matched to (by header name in Russian or English, or by the
data's shape); the admin changes any of them in one screen, sees the columns left out, and may
save the mapping as a preset, which then reads the next file of the layout without questions."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import TestCase
from django.urls import reverse

from salesops.imports.presets import BUILT_IN, header_key
from salesops.imports.recognise import How, propose
from salesops.imports.synonyms import HEADER_SYNONYMS
from salesops.models import CallLog, ImportBatch, ImportPreset

from .conftest import fixture
from .factories import ManagerFactory
from .workbooks import ENGLISH_HEADER, english_calls, write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


def upload(client, path, **data):
    """Upload, and let the worker read the file (the page never does): a file of an unknown
    layout then waits for its mapping, and the batch page sends the admin to the columns."""
    with open(path, "rb") as handle, TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("imports:upload"), {"file": handle, **data})
    batch_page = client.get(response.url)
    return batch_page if batch_page.status_code == 302 else response


def test_every_header_synonym_names_one_field():
    owners = {}
    for field_name, names in HEADER_SYNONYMS.items():
        for name in names:
            owners.setdefault(header_key(name), set()).add(field_name)
    assert {key: fields for key, fields in owners.items() if len(fields) > 1} == {}


def test_header_synonyms_in_english_name_the_fields_of_the_issues_layout():
    sample = [ENGLISH_HEADER, ["c-1", "a@example.com", "2026-10-05 10:00:00", 90, 70, "Answered",
                               79161234567]]
    proposal = propose(sample, presets=BUILT_IN, statuses=set())
    assert proposal.has_header is True
    assert proposal.columns == {"call_id": 0, "agent": 1, "started_at": 2, "duration": 3,
                                "talk": 4, "status": 5, "phone": 6}
    assert set(proposal.how.values()) == {How.HEADER}
    assert proposal.known is False


def test_header_synonyms_in_russian_name_the_fields_and_telefon_klienta_is_the_phone():
    sample = [["ID звонка", "Сотрудник", "Дата и время", "Длительность",
               "Длительность разговора", "Результат", "Телефон клиента"],
              ["r-1", "Семёнов Илья", "05.10.2026 10:00", "1:30", "1:10", "Отвечен",
               "8 916 123-45-67"]]
    proposal = propose(sample, presets=BUILT_IN, statuses=set())
    assert proposal.columns == {"call_id": 0, "agent": 1, "started_at": 2, "duration": 3,
                                "talk": 4, "status": 5, "phone": 6}


def test_a_header_holding_a_known_name_inside_it_is_proposed_for_that_field():
    sample = [["Дата и время", "Длительность, сек", "Длительность разговора, сек",
               "Номер клиента (моб.)"], ["05.10.2026 10:00", "90", "70", "+79161234567"]]
    proposal = propose(sample, presets=BUILT_IN, statuses=set())
    assert proposal.columns == {"started_at": 0, "duration": 1, "talk": 2, "phone": 3}


def test_a_headerless_file_is_matched_by_the_shape_of_its_data():
    rows = [[f"{number:08x}-aaaa-bbbb-cccc-{number:012x}", "ivan@example.com",
             f"2026-10-05 10:0{number}:00", str(30 + number), str(90 + number), "Занято",
             "+7 916 123-45-6" + str(number), f"https://rec.example/{number}.mp3"]
            for number in range(1, 6)]
    proposal = propose(rows, presets=BUILT_IN, statuses={"занято"})
    assert proposal.has_header is False
    assert proposal.columns == {"call_id": 0, "agent": 1, "started_at": 2, "talk": 3,
                                "duration": 4, "status": 5, "phone": 6, "recording": 7}
    assert set(proposal.how.values()) == {How.SHAPE}


def test_a_file_of_a_known_layout_skips_the_mapping_screen(admin_client,
                                                            django_capture_on_commit_callbacks):
    ManagerFactory(telephony_login="client:anna")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, fixture("twilio_calls.csv"))
    batch = ImportBatch.objects.get()
    assert response.url == reverse("imports:batch", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.status, batch.preset, batch.created_count) == ("done", "twilio", 4)
    page = admin_client.get(response.url)
    assert page.context["unmatched"] == ["I · AccountSid"]


def test_an_unfamiliar_xlsx_goes_to_the_mapping_screen_with_every_field_matched(
    admin_client, tmp_path
):
    response = upload(admin_client, english_calls(tmp_path / "calls.xlsx", queue=True))
    batch = ImportBatch.objects.get()
    assert response.url == reverse("imports:columns", args=[batch.pk])
    assert batch.status == ImportBatch.Status.MAPPING
    page = admin_client.get(response.url)
    form = page.context["form"]
    assert {name: form[f"field_{name}"].value() for name in
            ("call_id", "agent", "started_at", "duration", "talk", "status", "phone")} == {
        "call_id": "0", "agent": "1", "started_at": "2", "duration": "3", "talk": "4",
        "status": "5", "phone": "6"}
    assert CallLog.objects.count() == 0


def test_unmatched_columns_are_listed_never_dropped_silently(admin_client, tmp_path):
    response = upload(admin_client, english_calls(tmp_path / "calls.xlsx", queue=True))
    page = admin_client.get(response.url)
    assert page.context["unmatched"] == ["H · Queue"]
    assert "Columns not imported" in page.content.decode()


def test_the_admin_changes_a_column_and_the_import_reads_it(admin_client, tmp_path,
                                                          django_capture_on_commit_callbacks):
    ManagerFactory(telephony_email="anna@example.com")
    path = write_xlsx(tmp_path / "calls.xlsx", [
        ["Call ID", "Agent e-mail", "Started", "Total duration", "Talk time", "Client"],
        ["c-1", "anna@example.com", datetime.datetime(2026, 10, 5, 10, 0), 90, 60, 79161234567],
    ])
    response = upload(admin_client, path)
    batch = ImportBatch.objects.get()
    form = admin_client.get(response.url).context["form"]
    data = {key: value for key, value in
            ((f.html_name, f.value()) for f in form) if value not in (None, False)}
    data["field_phone"] = "5"  # "Client" is the client's phone
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("imports:columns", args=[batch.pk]),
                                     {**data, "has_header": "on"})
    assert response.url == reverse("imports:batch", args=[batch.pk])
    call = CallLog.objects.get()
    assert (call.external_id, call.duration_s, call.talk_s, call.phone) == (
        "c-1", 90, 60, "+79161234567")


def test_a_mapping_without_a_start_or_a_duration_is_refused_and_nothing_runs(admin_client,
                                                                           tmp_path):
    response = upload(admin_client, english_calls(tmp_path / "calls.xlsx"))
    batch = ImportBatch.objects.get()
    response = admin_client.post(reverse("imports:columns", args=[batch.pk]),
                                 {"has_header": "on", "field_call_id": "0", "field_talk": "4"})
    assert response.status_code == 200
    assert "Choose at least the column of the start" in response.content.decode()
    batch.refresh_from_db()
    assert (batch.status, batch.mapping, CallLog.objects.count()) == ("mapping", {}, 0)


def test_a_column_chosen_for_two_fields_is_refused(admin_client, tmp_path):
    upload(admin_client, english_calls(tmp_path / "calls.xlsx"))
    batch = ImportBatch.objects.get()
    response = admin_client.post(reverse("imports:columns", args=[batch.pk]), {
        "has_header": "on", "field_started_at": "2", "field_duration": "3", "field_status": "3"})
    assert "One column is chosen for two fields" in response.content.decode()
    assert ImportBatch.objects.get().status == "mapping"


def test_a_mapping_saved_as_a_preset_reads_the_next_file_of_the_layout_without_questions(
    admin_client, tmp_path, django_capture_on_commit_callbacks
):
    ManagerFactory(telephony_email="anna@example.com")
    upload(admin_client, english_calls(tmp_path / "first.xlsx"))
    first = ImportBatch.objects.get()
    form = admin_client.get(reverse("imports:columns", args=[first.pk])).context["form"]
    data = {f.html_name: f.value() for f in form if f.value() not in (None, False, "")}
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("imports:columns", args=[first.pk]),
                          {**data, "has_header": "on", "save_as": "Cloud PBX export"})
    preset = ImportPreset.objects.get()
    assert (preset.name, preset.label, preset.has_header) == (
        "cloud-pbx-export", "Cloud PBX export", True)
    assert preset.columns == {"call_id": "Call ID", "agent": "Agent e-mail",
                              "started_at": "Started", "duration": "Total duration",
                              "talk": "Talk time", "status": "Result", "phone": "Phone"}

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(admin_client, english_calls(tmp_path / "second.xlsx", first=7))
    second = ImportBatch.objects.latest("pk")
    assert response.url == reverse("imports:batch", args=[second.pk])
    second.refresh_from_db()
    assert (second.status, second.preset, second.created_count) == ("done", "cloud-pbx-export", 6)
    assert CallLog.objects.count() == 12


def test_the_command_line_reads_the_issues_layout_by_header_synonyms(tmp_path, run_import):
    ManagerFactory(telephony_email="anna@example.com")
    batch = run_import(english_calls(tmp_path / "calls.xlsx"))
    assert (batch.status, batch.preset, batch.created_count, batch.error_count) == (
        "done", "russian", 6, 0)
    assert set(CallLog.objects.values_list("phone", flat=True)) == {
        f"+7916123000{number}" for number in range(1, 7)}


def test_the_mapping_screen_speaks_russian_to_a_russian_browser(admin_client, tmp_path):
    response = upload(admin_client, english_calls(tmp_path / "calls.xlsx", queue=True))
    page = admin_client.get(response.url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Какой столбец что содержит" in page
    assert "Телефон клиента" in page
    assert "Не импортируются столбцы" in page
    assert "— нет в файле —" in page
