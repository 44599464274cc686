"""POST /api/calls/ (issue 21): up to 5 000 calls, idempotent by (source, external id) and by
Idempotency-Key; per-item errors by index without rejecting the good items; unknown managers and
statuses reported with the value and queued for the importer's bulk mapping."""

import pytest

from salesops.ingest.models import IdempotentAnswer, RefusedRequest
from salesops.models import CallLog, ImportRowError, Role
from tests.payouts.factories import person

pytestmark = pytest.mark.django_db
URL = "/api/calls/"


def call(call_id="c1", **fields):
    return {"external_id": call_id, "started_at": "2026-12-03T12:00:00+03:00",
            "duration_s": 60, "talk_s": 30, "manager": "7001", **fields}


@pytest.fixture
def token(make_integration):
    _integration, token = make_integration("api", source="office-pbx")
    return token


def post(client, body, token=None, **headers):
    if token:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.post(URL, body, content_type="application/json", **headers)


def test_a_batch_is_taken_and_each_call_answered_by_index(client, token, anna):
    response = post(client, {"calls": [call("c1"), call("c2", talk_s=0)]}, token)
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 2, "present": 0, "updated": 0, "conflict": 0,
                              "error": 0}
    assert [(i["index"], i["external_id"], i["result"]) for i in body["items"]] == [
        (0, "c1", "created"), (1, "c2", "created")]
    assert set(CallLog.objects.values_list("source", "external_id")) == {
        ("office-pbx", "c1"), ("office-pbx", "c2")}


def test_the_same_calls_again_create_nothing(client, token, anna):
    post(client, {"calls": [call("c1")]}, token)
    again = post(client, {"calls": [call("c1")]}, token).json()
    assert [i["result"] for i in again["items"]] == ["present"]
    assert CallLog.objects.count() == 1


def test_bad_items_are_reported_by_index_and_the_good_ones_taken(client, token, anna):
    body = {"calls": [call("c1"), call("c2", duration_s="long"), "not a call",
                      call("c4", manager="9999"), call("c5", status="перезвонить"),
                      call("c6", started_at="yesterday"), call("c7")]}
    answer = post(client, body, token).json()
    assert [(i["index"], i["result"]) for i in answer["items"]] == [
        (0, "created"), (1, "error"), (2, "error"), (3, "error"), (4, "error"), (5, "error"),
        (6, "created")]
    errors = {i["index"]: [(e["field"], e["value"], e["kind"]) for e in i["errors"]]
              for i in answer["items"] if i["errors"]}
    assert errors == {1: [("duration_s", "long", "")], 2: [("", "not a call", "")],
                      3: [("manager", "9999", "manager")],
                      4: [("status", "перезвонить", "status")],
                      5: [("started_at", "yesterday", "")]}
    assert set(CallLog.objects.values_list("external_id", flat=True)) == {"c1", "c7"}
    # Queued for the importer's bulk mapping: the batch's unknown values, by line (index + 1).
    assert sorted(ImportRowError.objects.filter(batch_id=answer["batch"]).values_list(
        "line", "kind", "value")) == [(4, "manager", "9999"), (5, "status", "перезвонить")]


def test_the_same_idempotency_key_and_body_get_the_first_answer(client, token, anna):
    body = {"calls": [call("c1")]}
    first = post(client, body, token, HTTP_IDEMPOTENCY_KEY="k-1")
    CallLog.objects.all().delete()  # even if the call were gone, the answer is the first one
    again = post(client, body, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert not CallLog.objects.exists()


def test_the_same_idempotency_key_with_another_body_is_refused(client, token, anna):
    post(client, {"calls": [call("c1")]}, token, HTTP_IDEMPOTENCY_KEY="k-1")
    other = post(client, {"calls": [call("c2")]}, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert other.status_code == 422 and "another body" in other.json()["detail"]
    assert list(CallLog.objects.values_list("external_id", flat=True)) == ["c1"]
    assert IdempotentAnswer.objects.count() == 1


@pytest.mark.parametrize("body", [{"calls": []}, {"calls": "c1"}, [call()], {},
                                  {"calls": [call()] * 5001}])
def test_what_is_no_batch_is_refused_whole(client, token, anna, body):
    response = post(client, body, token)
    assert response.status_code == 400 and "detail" in response.json()
    assert not CallLog.objects.exists()


def test_a_token_posts_only_calls_of_its_source(client, token, anna):
    response = post(client, {"source": "twilio", "calls": [call()]}, token)
    assert response.status_code == 403
    assert not CallLog.objects.exists()
    assert RefusedRequest.objects.get().reason == RefusedRequest.Reason.OTHER_SOURCE


def test_a_wrong_token_is_401_logged_and_stores_nothing(client, anna):
    response = post(client, {"calls": [call()]}, "sok_not-a-token")
    assert response.status_code == 401
    assert not CallLog.objects.exists()
    refusal = RefusedRequest.objects.get()
    assert (refusal.reason, refusal.status, refusal.integration) == ("bad_token", 401, None)


def test_no_credentials_at_all_is_refused(client, anna):
    assert post(client, {"calls": [call()]}).status_code in (401, 403)
    assert not CallLog.objects.exists()


def test_an_admin_posts_a_batch_naming_the_source(client, anna, team):
    admin = person(Role.ADMIN)
    client.force_login(admin.user)
    assert post(client, {"calls": [call()]}).status_code == 400
    response = post(client, {"source": "office-pbx", "calls": [call()]})
    assert response.status_code == 200
    assert CallLog.objects.get().source == "office-pbx"


@pytest.mark.parametrize("role", [Role.OWNER, Role.SALES_HEAD, Role.MANAGER])
def test_who_may_not_import_calls_may_not_post_them(client, anna, team, role):
    someone = person(role, None if role == Role.OWNER else team)
    client.force_login(someone.user)
    response = post(client, {"source": "office-pbx", "calls": [call()]})
    assert response.status_code == 403
    assert not CallLog.objects.exists()


def test_a_token_reads_nothing(client, token, anna):
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code in (401, 403)


def test_a_token_is_throttled_by_its_own_rate(client, token, anna, settings):
    settings.INGEST_THROTTLE_RATE = "2/minute"
    assert [post(client, {"calls": [call(f"c{n}")]}, token).status_code
            for n in range(3)] == [200, 200, 429]
    assert list(RefusedRequest.objects.values_list("reason", "status")) == [("throttled", 429)]
    assert CallLog.objects.count() == 2


def test_unknown_values_of_a_posted_batch_are_mapped_on_the_import_page(client, token, anna):
    from salesops.models import ManagerAlias

    answer = post(client, {"calls": [call("c1", manager="agent-7")]}, token).json()
    client.force_login(person(Role.ADMIN).user)
    page = client.get(f"/imports/{answer['batch']}/")
    assert page.status_code == 200 and "agent-7" in page.content.decode()
    form = page.context["values_form"]
    field = next(name for name in form.fields if name.startswith("manager"))
    response = client.post(f"/imports/{answer['batch']}/values/", {field: anna.pk},
                           follow=True)
    assert response.status_code == 200
    assert ManagerAlias.objects.get().manager == anna
    client.logout()
    again = post(client, {"calls": [call("c1", manager="agent-7")]}, token).json()
    assert [i["result"] for i in again["items"]] == ["created"]


def test_the_schema_documents_every_answer_of_the_batch_api_and_the_webhooks(client, team):
    client.force_login(person(Role.ADMIN).user)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    batch = schema["paths"]["/api/calls/"]["post"]["responses"]
    hook = schema["paths"]["/api/hooks/{public_id}/"]["post"]["responses"]
    assert {"200", "400", "401", "403", "422", "429"} <= set(batch)
    assert {"200", "400", "401", "403", "404", "429"} <= set(hook)
    assert "application/json" in schema["paths"]["/api/calls/"]["post"]["requestBody"]["content"]


def test_a_refused_batch_keeps_no_answer_so_the_same_key_may_send_it_mended(
        client, token, anna):
    refused = post(client, {"calls": []}, token, HTTP_IDEMPOTENCY_KEY="k-1")
    mended = post(client, {"calls": [call("c1")]}, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (refused.status_code, mended.status_code) == (400, 200)
    assert [item["result"] for item in mended.json()["items"]] == ["created"]


def test_an_answer_is_kept_with_the_calls_it_answers_or_not_at_all(token, anna, monkeypatch):
    """A request that fails after its calls were written keeps neither: the retry with the
    same key is taken afresh and answered as the first time would have been."""
    from django.test import Client

    real_create = IdempotentAnswer.objects.create

    def dies(**fields):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(IdempotentAnswer.objects, "create", dies)
    with pytest.raises(RuntimeError):
        post(Client(raise_request_exception=True), {"calls": [call("c1")]}, token,
             HTTP_IDEMPOTENCY_KEY="k-1")
    assert not CallLog.objects.exists()
    monkeypatch.setattr(IdempotentAnswer.objects, "create", real_create)
    retry = post(Client(), {"calls": [call("c1")]}, token, HTTP_IDEMPOTENCY_KEY="k-1")
    assert [item["result"] for item in retry.json()["items"]] == ["created"]
    assert "Idempotent-Replayed" not in retry
    assert IdempotentAnswer.objects.count() == 1

