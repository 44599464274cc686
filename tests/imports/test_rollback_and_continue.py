"""The rollback on the batch's page and the batch that goes on (issue 17): the admin sees what
a rollback undoes (calls, months, people, whether a month is approved or paid) before
confirming it, and a batch with calls of an approved or paid month is never rolled back;
mapping the values a batch refused reads those rows again in the same batch."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.imports.services import ImportRefused, import_batch_rollback
from salesops.inputs import period_lock
from salesops.models import CallLog, ImportBatch, ImportRowError

from .factories import ManagerFactory
from .workbooks import write_xlsx

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def calls_of(path, rows):
    return write_xlsx(path, [
        ["ID звонка", "Сотрудник", "Дата и время", "Длительность", "Длительность разговора",
         "Статус"],
        *([f"k-{number}", agent, datetime.datetime(2026, month, 5, 9, number), 90, 60, status]
          for number, (agent, month, status) in enumerate(rows, start=1)),
    ])


@pytest.fixture
def anna():
    return ManagerFactory(user__first_name="Анна", user__last_name="Ким",
                          telephony_email="anna@example.com")


@pytest.fixture
def admin_client(client):
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    return client


def test_the_rollback_shows_what_it_undoes_before_it_is_confirmed(admin_client, anna, tmp_path,
                                                                  run_import):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [
        ("anna@example.com", 10, "Отвечен"), ("anna@example.com", 11, "Отвечен")]))
    assert 'id="rollback-link"' in admin_client.get(
        reverse("imports:batch", args=[batch.pk])).content.decode()
    page = admin_client.get(reverse("imports:rollback", args=[batch.pk]))
    preview = page.context["preview"]
    assert (preview.calls, preview.restored, preview.people, preview.locked) == (
        2, 0, ["Анна Ким"], [])
    assert preview.months == [datetime.date(2026, 10, 1), datetime.date(2026, 11, 1)]
    text = page.content.decode()
    assert "2 calls it created are deleted" in text
    assert "October 2026, November 2026" in text
    assert "No month it touches is approved or paid" in text
    assert CallLog.objects.count() == 2  # nothing undone by looking

    response = admin_client.post(reverse("imports:rollback", args=[batch.pk]))
    assert response.url == reverse("imports:batch", args=[batch.pk])
    assert CallLog.objects.count() == 0
    assert ImportBatch.objects.get().status == "rolled_back"


def test_a_batch_with_calls_of_an_approved_month_is_never_rolled_back(admin_client, anna,
                                                                      tmp_path, run_import):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [
        ("anna@example.com", 10, "Отвечен"), ("anna@example.com", 11, "Отвечен")]))
    period_lock(team_id=anna.team_id, month=datetime.date(2026, 10, 1), status="approved")
    page = admin_client.get(reverse("imports:rollback", args=[batch.pk]))
    assert page.context["preview"].locked == [f"2026-10 · {anna.team.name}"]
    assert "It cannot be rolled back" in page.content.decode()
    assert 'id="rollback-confirm"' not in page.content.decode()

    response = admin_client.post(reverse("imports:rollback", args=[batch.pk]))
    assert response.status_code == 200
    assert "approved or paid months" in response.content.decode()
    assert CallLog.objects.count() == 2
    with pytest.raises(ImportRefused):
        import_batch_rollback(batch=batch)
    assert (ImportBatch.objects.get().status, CallLog.objects.count()) == ("done", 2)


def test_mapping_the_refused_values_continues_the_same_batch(
    admin_client, anna, tmp_path, django_capture_on_commit_callbacks, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [
        ("anna@example.com", 11, "Отвечен"), ("Ким А.", 11, "Отвечен"),
        ("anna@example.com", 11, "Статус 17"), ("anna@example.com", 11, "Статус 17"),
        ("оператор 9", 11, "Отвечен"),
    ]))
    assert (batch.created_count, batch.error_count) == (2, 3)
    page = admin_client.get(reverse("imports:batch", args=[batch.pk]))
    form = page.context["values_form"]
    status_field = form.status_rows[0][1].html_name
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("imports:values", args=[batch.pk]),
                                     {status_field: 1})
    assert response.url == reverse("imports:batch", args=[batch.pk])
    assert ImportBatch.objects.count() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.present_count, batch.error_count) == (
        "done", 4, 0, 1)
    assert list(ImportRowError.objects.values_list("line", "value")) == [(6, "оператор 9")]
    assert CallLog.objects.filter(batch=batch).count() == 4

    # Once more, after the last value: the batch goes on again.
    manager_field = admin_client.get(reverse("imports:batch", args=[batch.pk])).context[
        "values_form"].manager_rows[0][1].html_name
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("imports:values", args=[batch.pk]), {manager_field: anna.pk})
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.error_count) == ("done", 5, 0)
    assert ImportBatch.objects.count() == 1


def test_the_admins_run_again_action_continues_the_same_batch_as_the_batch_page_does(
    admin_client, anna, tmp_path, django_capture_on_commit_callbacks, run_import
):
    batch = run_import(calls_of(tmp_path / "calls.xlsx", [
        ("anna@example.com", 11, "Отвечен"), ("boris@example.com", 11, "Отвечен")]))
    assert (batch.created_count, batch.error_count) == (1, 1)
    ManagerFactory(telephony_email="boris@example.com")  # the person arrives in the system
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:salesops_importbatch_changelist"),
                          {"action": "rerun", "_selected_action": [batch.pk]})
    assert ImportBatch.objects.count() == 1
    batch.refresh_from_db()
    assert (batch.status, batch.created_count, batch.error_count) == ("done", 2, 0)


def test_running_again_calls_a_pbx_posted_is_refused_saying_why_with_nothing_changed(
    admin_client, anna
):
    posted = ImportBatch.objects.create(source="zadarma", file_name="zadarma 2026-11-05",
                                        status="done", error_count=1)
    response = admin_client.post(reverse("imports:rerun", args=[posted.pk]), follow=True)
    assert "posted by a PBX: there is no file to run again" in response.content.decode()
    response = admin_client.post(reverse("admin:salesops_importbatch_changelist"),
                                 {"action": "rerun", "_selected_action": [posted.pk]},
                                 follow=True)
    assert "posted by a PBX: there is no file to run again" in response.content.decode()
    assert ImportBatch.objects.count() == 1
    assert ImportBatch.objects.get().status == "done"
