"""Each provider's adapter with its fixture payload (issue 21): accepted, duplicated,
reordered, a bad signature or token (401, nothing stored, the refusal logged) and the
credentials of another source's integration. Providers deliver twice and out of order: the
call stored is the same whatever the order."""

import datetime
import json
import logging

import pytest

from salesops.ingest.models import RefusedRequest
from salesops.models import CallLog, Direction, Outcome

from . import providers
from .conftest import fixture_json

pytestmark = pytest.mark.django_db
UTC = datetime.UTC


def calls():
    return list(CallLog.objects.values_list("source", "external_id", "manager__extension",
                                            "started_at", "duration_s", "talk_s", "outcome",
                                            "direction", "phone"))


def refused():
    return list(RefusedRequest.objects.values_list("reason", "status"))


def results(response):
    assert response.status_code == 200, response.content
    return [item["result"] for item in response.json()["items"]]


# --- Zadarma ---------------------------------------------------------------------------------

@pytest.fixture
def zadarma(make_integration):
    return make_integration("zadarma", secret="zadarma-api-secret")[0]


@pytest.fixture
def other_source(make_integration):
    """An integration of another source, with credentials of its own."""
    return make_integration("api", source="elsewhere", secret="another-secret",
                            account_key="another-key")


def test_zadarma_notify_end_is_an_incoming_call(client, zadarma, anna):
    assert results(providers.zadarma(client, zadarma)) == ["created"]
    assert calls() == [("zadarma", "in_8c2b6f1d0e4a4f7b9a3c", "7001",
                        datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC), 95, 95,
                        Outcome.ANSWERED, Direction.INBOUND, "+79161234567")]


def test_zadarma_notify_out_end_is_an_outgoing_call(client, zadarma, anna):
    assert results(providers.zadarma(client, zadarma, "zadarma_notify_out_end.json")) == [
        "created"]
    assert calls() == [("zadarma", "out_1f0a9e3c7b2d4e6f8a1b", "7001",
                        datetime.datetime(2026, 12, 3, 9, 10, tzinfo=UTC), 0, 0,
                        Outcome.NO_ANSWER, Direction.OUTBOUND, "+79167654321")]


def test_zadarma_delivered_twice_is_one_call(client, zadarma, anna):
    providers.zadarma(client, zadarma)
    assert results(providers.zadarma(client, zadarma)) == ["present"]
    assert len(calls()) == 1


def test_zadarma_end_before_start_is_the_same_call(client, zadarma, anna):
    providers.zadarma(client, zadarma)
    assert results(providers.zadarma(client, zadarma, "zadarma_notify_start.json")) == []
    assert [c[1:6] for c in calls()] == [
        ("in_8c2b6f1d0e4a4f7b9a3c", "7001", datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC),
         95, 95)]


def test_zadarma_answers_its_address_check(client, zadarma):
    response = client.get(providers.hook_url(zadarma), {"zd_echo": "a1B2-c3_"})
    assert (response.status_code, response.content, response["Content-Type"]) == (
        200, b"a1B2-c3_", "text/plain")


def test_zadarma_bad_signature_is_401_and_nothing_stored(client, zadarma, anna):
    response = providers.zadarma(client, zadarma, secret="guessed")
    assert response.status_code == 401
    assert (calls(), refused()) == ([], [("bad_signature", 401)])


def test_zadarma_signed_with_another_sources_secret_is_refused(
        client, zadarma, other_source, anna):
    response = providers.zadarma(client, zadarma, secret=other_source[0].secret)
    assert response.status_code == 401
    assert (calls(), refused()) == ([], [("bad_signature", 401)])


def test_a_changed_field_breaks_the_zadarma_signature(client, zadarma, anna):
    fields = fixture_json("zadarma_notify_end.json")
    from urllib.parse import urlencode

    from salesops.ingest.adapters.zadarma import zadarma_signature

    signature = zadarma_signature(fields, zadarma.secret)
    response = client.post(providers.hook_url(zadarma),
                           urlencode({**fields, "caller_id": "79990000000"}),
                           content_type=providers.FORM, HTTP_SIGNATURE=signature)
    assert response.status_code == 401 and calls() == []


# --- Mango Office ----------------------------------------------------------------------------

@pytest.fixture
def mango(make_integration):
    return make_integration("mango", secret="mango-api-salt",
                            account_key="mango-api-key-0000")[0]


def test_mango_summary_is_a_call_keyed_by_entry_id(client, mango, anna):
    assert results(providers.mango(client, mango)) == ["created"]
    assert calls() == [("mango", "MjQ1NzE4ODQ2Nzg6MTA1", "7001",
                        datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC), 100, 90,
                        Outcome.ANSWERED, Direction.OUTBOUND, "+79161234567")]


def test_mango_summary_twice_and_a_late_call_state_change_nothing(client, mango, anna):
    providers.mango(client, mango)
    assert results(providers.mango(client, mango)) == ["present"]
    assert results(providers.mango(client, mango, "mango_call_state.json")) == []
    assert len(calls()) == 1 and calls()[0][5] == 90


def test_mango_wrong_sign_is_401_and_nothing_stored(client, mango, anna):
    assert providers.mango(client, mango, salt="guessed").status_code == 401
    assert (calls(), refused()) == ([], [("bad_signature", 401)])


def test_mango_key_of_another_integration_is_403(client, mango, other_source, anna):
    response = providers.mango(client, mango, api_key=other_source[0].account_key,
                               salt=other_source[0].secret)
    assert response.status_code == 403
    assert (calls(), refused()) == ([], [("other_integration", 403)])


# --- Twilio ----------------------------------------------------------------------------------

@pytest.fixture
def twilio(make_integration):
    return make_integration("twilio", secret="twilio-auth-token")[0]


def test_twilio_completed_callback_is_a_call(client, twilio, anna):
    assert results(providers.twilio(client, twilio)) == ["created"]
    assert calls() == [("twilio", "CA5f3c1e9b2a7d4c8e6f0a1b2c3d4e5f60", "7001",
                        datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC), 62, 62,
                        Outcome.ANSWERED, Direction.OUTBOUND, "+79161234567")]


def test_twilio_completed_before_ringing_and_twice_is_one_call(client, twilio, anna):
    providers.twilio(client, twilio)
    assert results(providers.twilio(client, twilio, "twilio_ringing.json")) == []
    assert results(providers.twilio(client, twilio)) == ["present"]
    assert [c[4:6] for c in calls()] == [(62, 62)]


def test_twilio_bad_signature_is_401_and_nothing_stored(client, twilio, anna):
    assert providers.twilio(client, twilio, auth_token="guessed").status_code == 401
    assert (calls(), refused()) == ([], [("bad_signature", 401)])


def test_twilio_signed_by_another_sources_account_is_refused(client, twilio, other_source,
                                                              anna):
    assert providers.twilio(client, twilio,
                            auth_token=other_source[0].secret).status_code == 401
    assert calls() == []


# --- Asterisk --------------------------------------------------------------------------------

@pytest.fixture
def asterisk(make_integration):
    return make_integration("asterisk")


def test_asterisk_cdr_is_a_call_keyed_by_linkedid(client, asterisk, anna):
    integration, token = asterisk
    assert results(providers.asterisk(client, integration, token)) == ["created"]
    assert calls() == [("asterisk", "1796292000.2588", "7001",
                        datetime.datetime(2026, 12, 3, 9, 0, tzinfo=UTC), 100, 92,
                        Outcome.ANSWERED, Direction.OUTBOUND, "+79161234567")]


def test_asterisk_records_in_any_order_and_twice_keep_the_leg_that_talked_longest(
        client, asterisk, anna):
    integration, token = asterisk
    short = {"uniqueid": "1796292000.2590", "billsec": 0, "duration": 12,
             "disposition": "NO ANSWER"}
    providers.asterisk(client, integration, token)
    assert results(providers.asterisk(client, integration, token, **short)) == ["present"]
    assert results(providers.asterisk(client, integration, token)) == ["present"]
    assert [c[4:7] for c in calls()] == [(100, 92, Outcome.ANSWERED)]


def test_asterisk_wrong_token_is_401_and_nothing_stored(client, asterisk, anna):
    integration, _token = asterisk
    assert providers.asterisk(client, integration, "sok_guessed").status_code == 401
    assert (calls(), refused()) == ([], [("bad_token", 401)])


def test_asterisk_token_of_another_source_is_403(client, asterisk, other_source, anna):
    integration, _token = asterisk
    response = providers.asterisk(client, integration, other_source[1])
    assert response.status_code == 403
    assert (calls(), refused()) == ([], [("other_integration", 403)])


# --- FreeSWITCH ------------------------------------------------------------------------------

@pytest.fixture
def freeswitch(make_integration):
    return make_integration("freeswitch")


@pytest.mark.parametrize("order", [("freeswitch_a_leg.json", "freeswitch_b_leg.json"),
                                   ("freeswitch_b_leg.json", "freeswitch_a_leg.json")])
def test_freeswitch_legs_join_into_one_call_whatever_their_order(client, freeswitch, anna,
                                                                 order):
    integration, token = freeswitch
    for name in order:
        assert providers.freeswitch(client, integration, token, name).status_code == 200
    assert calls() == [("freeswitch", "6b1f0c2e-3d4a-4b5c-8d9e-0f1a2b3c4d5e", "7001",
                        # The B-leg talked longest: the call is its version.
                        datetime.datetime(2026, 12, 3, 9, 0, 1, tzinfo=UTC), 97, 92,
                        Outcome.ANSWERED, Direction.OUTBOUND, "+79161234567")]


def test_freeswitch_leg_twice_is_one_call(client, freeswitch, anna):
    integration, token = freeswitch
    providers.freeswitch(client, integration, token)
    assert results(providers.freeswitch(client, integration, token)) == ["present"]
    assert len(calls()) == 1


def test_freeswitch_cdr_in_a_form_field_base64_is_read(client, freeswitch, anna):
    import base64
    from urllib.parse import urlencode

    integration, token = freeswitch
    cdr = base64.b64encode(json.dumps(fixture_json("freeswitch_a_leg.json")).encode()).decode()
    cred = base64.b64encode(f"salesops:{token}".encode()).decode()
    response = client.post(providers.hook_url(integration), urlencode({"cdr": cdr}),
                           content_type=providers.FORM, HTTP_AUTHORIZATION=f"Basic {cred}")
    assert results(response) == ["created"]


def test_freeswitch_wrong_password_is_401_and_nothing_stored(client, freeswitch, anna):
    integration, _token = freeswitch
    response = providers.freeswitch(client, integration, "sok_guessed")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    assert (calls(), refused()) == ([], [("bad_token", 401)])


def test_freeswitch_token_of_another_source_is_403(client, freeswitch, other_source, anna):
    integration, _token = freeswitch
    assert providers.freeswitch(client, integration, other_source[1]).status_code == 403
    assert calls() == []


# --- every adapter ---------------------------------------------------------------------------

def test_a_revoked_integration_is_refused_whatever_it_signs(client, zadarma, anna):
    from salesops.ingest.services import integration_revoke

    integration_revoke(integration=zadarma)
    assert providers.zadarma(client, zadarma).status_code == 403
    assert (calls(), refused()) == ([], [("revoked", 403)])


def test_an_unknown_address_is_a_json_404(client, anna):
    response = client.post("/api/hooks/00000000-0000-4000-8000-000000000000/", {},
                           content_type="application/json")
    assert response.status_code == 404 and "detail" in response.json()


def test_an_unreadable_body_is_400_logged_and_nothing_stored(client, asterisk, anna):
    integration, token = asterisk
    response = client.post(providers.hook_url(integration), "not json",
                           content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400
    assert (calls(), refused()) == ([], [("unreadable", 400)])


def test_a_refusal_is_logged_without_the_body_or_the_credentials(client, zadarma, anna,
                                                                  caplog):
    with caplog.at_level(logging.WARNING, logger="salesops.ingest"):
        providers.zadarma(client, zadarma, secret="guessed")
    logged = caplog.text + " ".join(str(v) for v in RefusedRequest.objects.values().get()
                                    .values())
    assert "bad_signature" in logged
    for secret in ("zadarma-api-secret", "guessed", "79161234567", "in_8c2b6f1d0e4a4f7b9a3c"):
        assert secret not in logged


def test_an_unknown_extension_is_queued_for_mapping_not_lost_silently(client, zadarma, anna):
    response = providers.zadarma(client, zadarma, internal="7999")
    assert results(response) == ["error"]
    assert response.json()["items"][0]["errors"][0]["kind"] == "manager"
    assert calls() == []
