"""The generic JSON adapter, mapped by an admin's JSON paths, and each integration's health
page: calls today, the last event, refused requests with their reason, and calls a later file
import brought that no webhook did (issue 21)."""

import datetime

import pytest

from salesops.imports.services import import_file
from salesops.ingest.models import Integration
from salesops.ingest.selectors import integration_health
from salesops.ingest.services import integration_json_mapping_set
from salesops.models import CallLog, Role
from tests.fixtures import hostile
from tests.payouts.factories import person

from . import providers
from .conftest import NOW

pytestmark = pytest.mark.django_db
PATHS = {"external_id": "call.id", "manager": "call.agent.ext", "started_at": "call.started",
         "duration_s": "call.seconds", "talk_s": "call.talked", "status": "call.result",
         "phone": "call.customer"}


@pytest.fixture
def generic(make_integration):
    integration, token = make_integration("generic", source="cloud-pbx")
    integration_json_mapping_set(integration=integration, mapping=PATHS)
    integration.refresh_from_db()
    return integration, token


def test_any_json_becomes_a_call_through_the_admins_paths(client, generic, anna):
    integration, token = generic
    response = providers.generic(client, integration, token)
    assert [i["result"] for i in response.json()["items"]] == ["created"]
    call = CallLog.objects.get()
    assert (call.source, call.external_id, call.manager, call.started_at, call.duration_s,
            call.talk_s, call.phone) == (
        "cloud-pbx", "g-1", anna, datetime.datetime(2026, 12, 3, 9, 0, tzinfo=datetime.UTC),
        75, 60, "+79161234567")


def test_generic_json_twice_and_reordered_is_one_call(client, generic, anna):
    integration, token = generic
    early = {"call": {"id": "g-1", "agent": {"ext": "7001"},
                      "started": "2026-12-03T12:00:00+03:00", "seconds": 3, "talked": 0,
                      "result": "no answer"}}
    providers.generic(client, integration, token)
    providers.generic(client, integration, token, body=early)
    providers.generic(client, integration, token)
    assert list(CallLog.objects.values_list("duration_s", "talk_s")) == [(75, 60)]


def test_generic_json_with_another_integrations_token_is_403(client, generic,
                                                              make_integration, anna):
    integration, _token = generic
    _other, other_token = make_integration("generic", source="elsewhere")
    assert providers.generic(client, integration, other_token).status_code == 403
    assert not CallLog.objects.exists()


def test_generic_json_with_a_wrong_token_is_401(client, generic, anna):
    integration, _token = generic
    assert providers.generic(client, integration, "sok_guessed").status_code == 401
    assert not CallLog.objects.exists()


def test_a_list_of_calls_at_a_path_is_read(client, generic, anna):
    integration, token = generic
    paths = {**{k: v.removeprefix("call.") for k, v in PATHS.items()}, "calls": "data.calls"}
    integration_json_mapping_set(integration=integration, mapping=paths)
    body = {"data": {"calls": [
        {"id": f"g-{n}", "agent": {"ext": "7001"}, "started": "2026-12-03T12:00:00+03:00",
         "seconds": 30, "talked": 20, "result": "answered"} for n in range(3)]}}
    response = providers.generic(client, integration, token, body=body)
    assert [i["result"] for i in response.json()["items"]] == ["created"] * 3


def test_the_admin_maps_the_paths_on_a_screen_like_the_column_mapping(client, generic, anna):
    integration, _token = generic
    client.force_login(person(Role.ADMIN).user)
    url = f"/admin/ingest/integration/{integration.pk}/json-paths/"
    page = client.get(url)
    assert page.status_code == 200 and "call.agent.ext" in page.content.decode()
    sample = '{"call": {"id": "x-9", "who": "7001", "at": 1796288400, "len": 42}}'
    form = {"calls": "", "external_id": "call.id", "manager": "call.who",
            "started_at": "call.at", "duration_s": "call.len", "sample": sample}
    preview = client.post(url, {**form, "preview": "1"})
    assert preview.status_code == 200
    assert [(label, value) for label, _path, value in preview.context["picked"][:4]] == [
        ("Call id", "x-9"), ("Started at", 1796288400), ("Duration, s", 42),
        ("Manager (extension, login, alias…)", "7001")]
    assert Integration.objects.get().json_mapping == PATHS  # a preview saves nothing
    client.post(url, {**form, "save": "1"})
    assert Integration.objects.get().json_mapping == {
        "external_id": "call.id", "manager": "call.who", "started_at": "call.at",
        "duration_s": "call.len"}


def test_paths_missing_a_needed_field_are_refused(client, generic):
    integration, _token = generic
    client.force_login(person(Role.ADMIN).user)
    response = client.post(f"/admin/ingest/integration/{integration.pk}/json-paths/",
                           {"external_id": "call.id", "save": "1"})
    assert response.status_code == 200 and response.context["form"].errors
    assert Integration.objects.get().json_mapping == PATHS


# --- health ----------------------------------------------------------------------------------

@pytest.fixture
def zadarma(make_integration):
    return make_integration("zadarma", secret="zadarma-api-secret")[0]


def test_health_counts_todays_calls_the_last_event_and_refusals(client, zadarma, anna):
    providers.zadarma(client, zadarma)
    providers.zadarma(client, zadarma, "zadarma_notify_out_end.json")
    providers.zadarma(client, zadarma, secret="guessed")
    zadarma.refresh_from_db()
    health = integration_health(zadarma)
    assert (health.calls_today, health.last_event_at, health.refusals_today) == (2, NOW, 1)
    assert [(r.reason, r.status) for r in health.refusals] == [("bad_signature", 401)]


def test_health_names_calls_a_later_file_brought_that_no_webhook_did(
        client, zadarma, anna, tmp_path):
    providers.zadarma(client, zadarma)  # in_8c2b… came by webhook
    path = tmp_path / "zadarma.csv"
    path.write_text(hostile.csv_text([
        ["in_8c2b6f1d0e4a4f7b9a3c", "7001", "03.12.2026 12:00:00", "95", "95", "79161234567"],
        ["in_missed", "7001", "07.12.2026 12:30:00", "60", "30", "79160000000"]]))
    import_file(path=path, source="zadarma")
    health = integration_health(zadarma)
    assert (health.missed_count, [c.external_id for c in health.missed]) == (1, ["in_missed"])


def test_the_health_page_shows_the_figures(client, zadarma, anna):
    providers.zadarma(client, zadarma)
    providers.zadarma(client, zadarma, secret="guessed")
    client.force_login(person(Role.ADMIN).user)
    page = client.get(f"/admin/ingest/integration/{zadarma.pk}/health/").content.decode()
    assert 'id="calls-today">1<' in page and "Wrong signature" in page
