"""The error report (issue 17): every refused row names the file, the row, the column, the
value and the reason, in the reader's language, whoever ran the import; the CSV opens in a
Russian Excel (UTF-8 with a BOM, ";" for a Russian reader)."""

import csv
import datetime
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from salesops.models import ImportRowError

from .factories import ManagerFactory
from .workbooks import write_xlsx

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


@pytest.fixture
def refused(tmp_path, run_import):
    """Three refused rows, the import run by a Russian-speaking worker."""
    ManagerFactory(telephony_email="anna@example.com")
    path = write_xlsx(tmp_path / "звонки.xlsx", [
        ["ID звонка", "Сотрудник", "Дата и время", "Длительность", "Длительность разговора"],
        ["e-1", "anna@example.com", datetime.datetime(2026, 11, 5, 9, 0), 30, 70],
        ["e-2", "anna@example.com", "вчера", 30, 10],
        ["e-3", "оператор 7", datetime.datetime(2026, 11, 5, 9, 2), 30, 10],
    ])
    with translation.override("ru"):
        return run_import(path)


def report(client, batch, language):
    response = client.get(reverse("imports:errors", args=[batch.pk]),
                          HTTP_ACCEPT_LANGUAGE=language)
    return b"".join(response.streaming_content)


def test_every_refused_row_names_file_row_column_value_and_reason(refused):
    assert list(ImportRowError.objects.values_list("line", "column", "value")) == [
        (2, "Длительность разговора", "70"), (3, "Дата и время", "вчера"),
        (4, "Сотрудник", "оператор 7")]


def test_the_reasons_are_said_in_the_readers_language(refused):
    errors = list(ImportRowError.objects.order_by("line"))
    with translation.override("en"):
        assert [error.reason_shown for error in errors] == [
            "talk (70 s) is longer than the call (30 s)",
            "not a date and time",
            "unknown manager: map this value to a manager (manager aliases), then re-run"]
    with translation.override("ru"):
        shown = [error.reason_shown for error in errors]
    assert shown[0] == "разговор (70 с) длиннее звонка (30 с)"
    assert shown[1] == "не дата и время"
    assert shown[2].startswith("неизвестный менеджер")


def test_a_russian_reader_gets_a_semicolon_csv_with_a_bom_in_russian(admin_client, refused):
    body = report(admin_client, refused, "ru")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["файл", "строка", "столбец", "значение", "причина"]
    assert rows[1] == ["звонки.xlsx", "2", "Длительность разговора", "70",
                       "разговор (70 с) длиннее звонка (30 с)"]
    assert len(rows) == 4


def test_an_english_reader_gets_a_comma_csv_in_english(admin_client, refused):
    body = report(admin_client, refused, "en")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["file", "line", "column", "value", "reason"]
    assert rows[1][4] == "talk (70 s) is longer than the call (30 s)"


def test_the_batch_page_says_the_reasons_in_the_readers_language(admin_client, refused):
    page = admin_client.get(reverse("imports:batch", args=[refused.pk]),
                            HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "разговор (70 с) длиннее звонка (30 с)" in page


def test_a_broken_line_and_a_bad_header_are_said_in_the_readers_language(tmp_path, run_import):
    ManagerFactory(telephony_email="anna@example.com")
    path = tmp_path / "broken.csv"
    path.write_text(
        "Call ID,Agent e-mail,Started,Total duration,Talk time,Talk time\n"
        "q-1,anna@example.com,2026-11-05 10:00:00,90,60,60\n"
        'q-2,"anna@example.com,2026-11-05 10:01:00,90,60,60\n'
        "q-3,anna@example.com,2026-11-05 10:02:00,90,60,60\n", encoding="utf-8")
    with translation.override("ru"):
        batch = run_import(path)
    assert batch.created_count == 2
    errors = list(ImportRowError.objects.order_by("line"))
    with translation.override("en"):
        assert [(error.line, error.reason_shown) for error in errors] == [
            (1, "this header names several columns (E, F): only column E is read; rename the "
                "others"),
            (3, "unterminated quote")]
    with translation.override("ru"):
        shown = [error.reason_shown for error in errors]
    assert shown == ["этот заголовок стоит у нескольких столбцов (E, F): читается только "
                     "столбец E; переименуйте остальные", "незакрытая кавычка"]
