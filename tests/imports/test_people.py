"""People as call exports name them (issue 17): a full name with a patronymic («Иванов Иван
Иванович»), initials («Иванов И.И.»), and a login («manager21») find their manager; a name
or initials that may mean two managers are asked in the bulk mapping, never given to one."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from salesops.imports.selectors import batch_unknown_values
from salesops.imports.values import name_key
from salesops.models import CallLog

from .factories import ManagerFactory
from .workbooks import write_xlsx

pytestmark = pytest.mark.django_db


def calls_by(path, agents):
    return write_xlsx(path, [
        ["ID звонка", "Сотрудник", "Дата и время", "Длительность", "Длительность разговора",
         "Статус"],
        *([f"p-{number}", agent, datetime.datetime(2026, 11, 5, 9, number), 90, 60, "Отвечен"]
          for number, agent in enumerate(agents, start=1)),
    ])


@pytest.fixture
def ivanov():
    return ManagerFactory(user__first_name="Иван", user__last_name="Иванов",
                          user__username="manager21")


@pytest.mark.parametrize(("value", "key"), [
    ("Иванов Иван Иванович", "иванов иван"), ("Иван Иванович Иванов", "иван иванов"),
    ("Петрова Анна Сергеевна", "петрова анна"), ("Иванов И.И.", "иванов и"),
    ("Иванов И. И.", "иванов и"), ("И.И. Иванов", "иванов и"), ("manager21", ""),
    ("anna@example.com", ""),
])
def test_a_name_with_a_patronymic_or_initials_is_read_as_a_name(value, key):
    assert name_key(value) == key


@pytest.mark.parametrize("written", ["Иванов Иван Иванович", "Иван Иванович Иванов",
                                     "ИВАНОВ ИВАН ИВАНОВИЧ"])
def test_a_full_name_with_a_patronymic_matches_its_manager(written, ivanov, tmp_path,
                                                           run_import):
    batch = run_import(calls_by(tmp_path / "calls.xlsx", [written]))
    assert (batch.created_count, batch.error_count) == (1, 0)
    assert CallLog.objects.get().manager == ivanov


@pytest.mark.parametrize("written", ["Иванов И.И.", "Иванов И. И.", "И.И. Иванов", "Иванов И."])
def test_initials_match_their_manager(written, ivanov, tmp_path, run_import):
    batch = run_import(calls_by(tmp_path / "calls.xlsx", [written]))
    assert (batch.created_count, batch.error_count) == (1, 0)
    assert CallLog.objects.get().manager == ivanov


def test_a_login_matches_its_manager(ivanov, tmp_path, run_import):
    batch = run_import(calls_by(tmp_path / "calls.xlsx", ["manager21", "MANAGER21"]))
    assert (batch.created_count, batch.error_count) == (2, 0)
    assert set(CallLog.objects.values_list("manager", flat=True)) == {ivanov.pk}


def test_a_first_name_holding_the_patronymic_too_matches(tmp_path, run_import):
    petrova = ManagerFactory(user__first_name="Анна Сергеевна", user__last_name="Петрова")
    batch = run_import(calls_by(tmp_path / "calls.xlsx", ["Петрова Анна Сергеевна",
                                                          "Петрова Анна"]))
    assert (batch.created_count, batch.error_count) == (2, 0)
    assert set(CallLog.objects.values_list("manager", flat=True)) == {petrova.pk}


def test_initials_two_managers_share_are_asked_never_picked(ivanov, tmp_path, run_import):
    ManagerFactory(user__first_name="Игорь", user__last_name="Иванов")
    batch = run_import(calls_by(tmp_path / "calls.xlsx", ["Иванов И.И.", "Иванов И.И.",
                                                          "Иванов Иван Иванович"]))
    assert (batch.created_count, batch.error_count) == (1, 2)
    assert CallLog.objects.get().manager == ivanov
    unknown = batch_unknown_values(batch)
    assert [(item.value, item.rows, item.candidates) for item in unknown.managers] == [
        ("Иванов И.И.", 2, ("Иван Иванов", "Игорь Иванов"))]


def test_a_full_name_two_managers_share_is_asked_with_both_named(tmp_path, run_import):
    ManagerFactory(user__first_name="Иван", user__last_name="Иванов")
    ManagerFactory(user__first_name="Иван", user__last_name="Иванов")
    batch = run_import(calls_by(tmp_path / "calls.xlsx", ["Иванов Иван Иванович"]))
    assert (batch.created_count, batch.error_count) == (0, 1)
    [item] = batch_unknown_values(batch).managers
    assert item.candidates == ("Иван Иванов", "Иван Иванов")


def test_the_bulk_mapping_names_the_namesakes(client, ivanov, tmp_path, run_import):
    ManagerFactory(user__first_name="Игорь", user__last_name="Иванов")
    admin = ManagerFactory(admin=True, user__username="admin1")
    admin.user.groups.add(Group.objects.get_or_create(name="Admins")[0])
    admin.user.is_staff = admin.user.is_superuser = True
    admin.user.save()
    client.force_login(admin.user)
    batch = run_import(calls_by(tmp_path / "calls.xlsx", ["Иванов И.И."]))
    page = client.get(reverse("imports:batch", args=[batch.pk])).content.decode()
    assert "Several managers have this name" in page
    assert "Иван Иванов, Игорь Иванов" in page
