"""Posting a fixture payload as each provider posts it, signed as the provider signs it."""

import base64
import copy
import json
from urllib.parse import urlencode

from salesops.ingest.adapters.mango import mango_sign
from salesops.ingest.adapters.twilio import twilio_signature
from salesops.ingest.adapters.zadarma import zadarma_signature

from .conftest import fixture_json

FORM = "application/x-www-form-urlencoded"


def hook_url(integration) -> str:
    return f"/api/hooks/{integration.public_id}/"


def zadarma(client, integration, name="zadarma_notify_end.json", *, secret=None, **changes):
    fields = {**fixture_json(name), **changes}
    signature = zadarma_signature(fields, secret or integration.secret)
    return client.post(hook_url(integration), urlencode(fields), content_type=FORM,
                       HTTP_SIGNATURE=signature)


def mango(client, integration, name="mango_summary.json", *, salt=None, api_key=None,
          **changes):
    payload = copy.deepcopy(fixture_json(name))
    payload["json"].update(changes)
    body = json.dumps(payload["json"])
    key = api_key or integration.account_key
    fields = {"vpbx_api_key": key, "sign": mango_sign(key, body, salt or integration.secret),
              "json": body}
    return client.post(hook_url(integration), urlencode(fields), content_type=FORM)


def twilio(client, integration, name="twilio_completed.json", *, auth_token=None, **changes):
    fields = {**fixture_json(name), **changes}
    url = "http://testserver" + hook_url(integration)
    signature = twilio_signature(url, fields, auth_token or integration.secret)
    return client.post(hook_url(integration), urlencode(fields), content_type=FORM,
                       HTTP_X_TWILIO_SIGNATURE=signature)


def asterisk(client, integration, token, name="asterisk_cdr.json", **changes):
    return client.post(hook_url(integration), {**fixture_json(name), **changes},
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")


def freeswitch(client, integration, token, name="freeswitch_a_leg.json", **variables):
    payload = copy.deepcopy(fixture_json(name))
    payload["variables"].update(variables)
    cred = base64.b64encode(f"salesops:{token}".encode()).decode()
    return client.post(hook_url(integration), payload, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Basic {cred}")


def generic(client, integration, token, name="generic_call.json", body=None):
    return client.post(hook_url(integration), body or fixture_json(name),
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
