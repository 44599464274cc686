"""The header row is found, not assumed (issue 17): among the first rows, the one whose cells
best match the header names is the header, so a report's title and a blank row above it are
passed over; the mapping screen says which row it took and lets the admin pick another; a
preset saved from such a file keeps the choice and reads the next file without questions."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.imports.presets import BUILT_IN
from salesops.imports.recognise import find_header_row, propose
from salesops.models import CallLog, ImportBatch, ImportPreset

from .factories import ManagerFactory
from .test_column_mapping import upload
from .workbooks import write_xlsx

pytestmark = pytest.mark.django_db
TITLE = "Отчёт по звонкам за ноябрь"
HEADER = ["ID звонка", "Сотрудник", "Дата и время", "Длительность", "Длительность разговора",
          "Статус", "Телефон клиента"]


def titled_report(path, *, first=1, title=TITLE):
    """A report as a PBX's web page exports it: a title, a blank row, then the header."""
    rows = [[title], [], HEADER]
    rows += [[f"t-{number}", "anna@example.com", datetime.datetime(2026, 11, 5, 10, number), 90,
              60, "Отвечен", "+79161230000"] for number in range(first, first + 4)]
    return write_xlsx(path, rows)


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


def test_the_header_is_the_row_that_best_matches_the_header_names():
    sample = [[TITLE], ["Период: 01.11.2026 – 30.11.2026"], HEADER,
              ["t-1", "Иванов", "05.11.2026 10:00", "90", "60", "Отвечен", "+79161230000"]]
    assert find_header_row(sample) == (2, 14)


def test_a_title_row_and_a_blank_row_above_the_header_are_passed_over():
    # The blank row is no record: the reader leaves empty rows out.
    sample = [[TITLE], HEADER,
              ["t-1", "Иванов", "05.11.2026 10:00", "90", "60", "Отвечен", "+79161230000"]]
    proposal = propose(sample, presets=BUILT_IN, statuses=set())
    assert (proposal.has_header, proposal.header_row, proposal.header) == (True, 1, HEADER)
    assert proposal.columns == {"call_id": 0, "agent": 1, "started_at": 2, "duration": 3,
                                "talk": 4, "status": 5, "phone": 6}
    assert proposal.rows[0][0] == "t-1"


def test_a_file_with_a_title_row_imports_every_call_under_its_header(tmp_path, run_import):
    ManagerFactory(telephony_email="anna@example.com")
    batch = run_import(titled_report(tmp_path / "report.xlsx"))
    assert (batch.status, batch.created_count, batch.error_count) == ("done", 4, 0)
    assert sorted(CallLog.objects.values_list("external_id", flat=True)) == [
        "t-1", "t-2", "t-3", "t-4"]


def test_the_mapping_screen_says_which_row_was_taken_and_the_admin_picks_another(
    admin_client, tmp_path
):
    response = upload(admin_client, titled_report(tmp_path / "report.xlsx"))
    batch = ImportBatch.objects.get()
    assert response.url == reverse("imports:columns", args=[batch.pk])
    page = admin_client.get(response.url)
    form = page.context["form"]
    assert form["header_row"].value() == 1
    assert dict(form.fields["header_row"].choices)[1].startswith("Row 2: ID звонка")
    assert "The header was found in row 2" in page.content.decode()

    page = admin_client.get(response.url + "?header_row=0")
    assert page.context["proposal"].header_row == 0
    assert page.context["proposal"].header == [TITLE]


def test_the_admin_picks_the_header_row_without_the_page_script(admin_client, tmp_path):
    upload(admin_client, titled_report(tmp_path / "report.xlsx"))
    batch = ImportBatch.objects.get()
    page = admin_client.post(reverse("imports:columns", args=[batch.pk]),
                             {"header_row": "0", "reread": "1"})
    assert page.status_code == 200
    assert page.context["proposal"].header_row == 0
    assert ImportBatch.objects.get().status == "mapping"


def test_a_preset_saved_from_a_file_with_a_title_keeps_the_header_row_and_reads_the_next(
    admin_client, tmp_path, django_capture_on_commit_callbacks
):
    ManagerFactory(telephony_email="anna@example.com")
    upload(admin_client, titled_report(tmp_path / "first.xlsx"))
    first = ImportBatch.objects.get()
    url = reverse("imports:columns", args=[first.pk])
    form = admin_client.get(url).context["form"]
    data = {f.html_name: f.value() for f in form if f.value() not in (None, False, "")}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {**data, "save_as": "Отчёт АТС"})
    assert response.status_code == 302
    preset = ImportPreset.objects.get()
    assert (preset.has_header, preset.skip_rows) == (True, 1)
    first.refresh_from_db()
    assert (first.status, first.created_count) == ("done", 4)

    with django_capture_on_commit_callbacks(execute=True):
        upload(admin_client, titled_report(tmp_path / "second.xlsx", first=11,
                                           title="Отчёт по звонкам за декабрь"))
    second = ImportBatch.objects.latest("pk")
    assert (second.status, second.preset, second.created_count) == ("done", preset.name, 4)
