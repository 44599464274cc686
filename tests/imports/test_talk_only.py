"""A file with talk time only is a valid call log (issue 17): each call's duration is taken to
be its talk time, with no wrap-up, and the mapping screen and the batch say so; one column may
feed both the duration and the talk time (an answered-only export), and no other two fields."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.imports.presets import BUILT_IN
from salesops.imports.recognise import propose
from salesops.models import CallLog, ImportBatch, Outcome

from .factories import ManagerFactory
from .test_column_mapping import upload
from .workbooks import write_xlsx

pytestmark = pytest.mark.django_db
HEADER = ["Сотрудник", "Дата и время", "Время разговора", "Телефон клиента"]


def talk_only(path):
    return write_xlsx(path, [HEADER, *(
        ["anna@example.com", datetime.datetime(2026, 11, 5, 9, number), talk, "+79161230000"]
        for number, talk in enumerate([75, 0, "00:02:05"], start=1))])


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


def test_a_file_with_talk_time_only_imports_with_duration_taken_as_talk(tmp_path, run_import):
    ManagerFactory(telephony_email="anna@example.com")
    batch = run_import(talk_only(tmp_path / "talk.xlsx"))
    assert (batch.status, batch.created_count, batch.error_count) == ("done", 3, 0)
    assert sorted(CallLog.objects.values_list("duration_s", "talk_s", "wrapup_s", "outcome")) == [
        (0, 0, 0, Outcome.NO_ANSWER), (75, 75, 0, Outcome.ANSWERED),
        (125, 125, 0, Outcome.ANSWERED)]
    assert "talk time only" in batch.message


def test_the_mapping_screen_says_what_is_assumed_and_imports_without_a_duration(
    admin_client, tmp_path, django_capture_on_commit_callbacks
):
    ManagerFactory(telephony_email="anna@example.com")
    response = upload(admin_client, talk_only(tmp_path / "talk.xlsx"))
    batch = ImportBatch.objects.get()
    page = admin_client.get(response.url)
    assert page.context["proposal"].talk_only
    assert "each call's duration is taken to be its talk time, with no wrap-up" in (
        page.content.decode().replace("&#x27;", "'"))
    form = page.context["form"]
    data = {f.html_name: f.value() for f in form if f.value() not in (None, False, "")}
    assert "field_duration" not in data
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("imports:columns", args=[batch.pk]), data)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == ("done", 3)


def test_one_column_may_feed_both_the_duration_and_the_talk(
    admin_client, tmp_path, django_capture_on_commit_callbacks
):
    ManagerFactory(telephony_email="anna@example.com")
    upload(admin_client, talk_only(tmp_path / "talk.xlsx"))
    batch = ImportBatch.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("imports:columns", args=[batch.pk]), {
            "has_header": "on", "field_agent": "0", "field_started_at": "1",
            "field_duration": "2", "field_talk": "2", "field_phone": "3"})
    assert response.status_code == 302
    assert sorted(CallLog.objects.values_list("duration_s", "talk_s")) == [
        (0, 0), (75, 75), (125, 125)]


def test_a_talk_only_header_is_proposed_as_talk_not_as_duration():
    sample = [HEADER, ["anna@example.com", "05.11.2026 09:01", "75", "+79161230000"]]
    proposal = propose(sample, presets=BUILT_IN, statuses=set())
    assert proposal.columns == {"agent": 0, "started_at": 1, "talk": 2, "phone": 3}
    assert proposal.talk_only
