"""Mango Office VPBX events (API 2.x, ``events/summary``): form fields ``vpbx_api_key``,
``sign`` and ``json``, where ``sign`` is the hex SHA-256 of api key + json + api salt. The
summary of a finished call carries it: keyed by ``entry_id``; times are Unix epochs.
``call_state_changed`` and the other events are checked and answered, nothing else."""

import hashlib
import json

from django.utils.translation import gettext as _

from ...models import Direction
from ..events import CallEvent
from .base import (
    Reason,
    Refusal,
    Unreadable,
    WebhookAdapter,
    epoch,
    epoch_seconds,
    same,
    seconds,
)


def mango_sign(api_key: str, body: str, salt: str) -> str:
    return hashlib.sha256((api_key + body + salt).encode()).hexdigest()


def _side(value) -> dict:
    return value if isinstance(value, dict) else {}


class MangoAdapter(WebhookAdapter):
    name = "mango"

    def authenticate(self, request) -> None:
        form = request.POST
        if not form.get("sign") or not form.get("vpbx_api_key"):
            raise Refusal(Reason.NO_CREDENTIALS, 401, _("No vpbx_api_key or sign."))
        if not same(self.integration.account_key, form["vpbx_api_key"]):
            raise Refusal(Reason.OTHER_INTEGRATION, 403,
                          _("This API key is not the integration's."))
        expected = mango_sign(self.integration.account_key, form.get("json", ""),
                              self.integration.secret)
        if not self.integration.secret or not same(expected, form["sign"].lower()):
            raise Refusal(Reason.BAD_SIGNATURE, 401, _("Wrong signature."))

    def events(self, request) -> list[CallEvent]:
        try:
            body = json.loads(request.POST.get("json", ""))
        except ValueError:
            raise Unreadable(_("The json field is not JSON.")) from None
        if not isinstance(body, dict):
            raise Unreadable(_("The json field is not an object."))
        if "entry_id" not in body or "end_time" not in body:
            return []  # a call's state or a recording: no finished call yet
        created = epoch(body.get("create_time"), "create_time")
        ended = epoch_seconds(body.get("end_time"), "end_time")
        talk_from = epoch_seconds(body.get("talk_time"), "talk_time")
        start = epoch_seconds(body.get("create_time"), "create_time")
        direction = {1: Direction.INBOUND, 2: Direction.OUTBOUND}.get(
            int(seconds(body.get("call_direction"), "call_direction")), Direction.INBOUND)
        ours, theirs = ((_side(body.get("from")), _side(body.get("to")))
                        if direction == Direction.OUTBOUND
                        else (_side(body.get("to")), _side(body.get("from"))))
        answered = str(body.get("entry_result", "")) == "1"
        return [CallEvent(
            external_id=str(body.get("entry_id", "")), started_at=created,
            duration_s=max(ended - start, 0),
            talk_s=max(ended - talk_from, 0) if answered and talk_from else 0,
            manager=str(ours.get("extension", "")), manager_alt=str(ours.get("number", "")),
            status="answered" if answered else "no answer", direction=direction,
            phone=str(theirs.get("number", "")),
        )]
