"""Zadarma PBX notifications (https://zadarma.com/en/support/api/#api_webhooks).

Posted as form fields; the ``Signature`` header is base64 of the hex HMAC-SHA1 (PHP's
``base64_encode(hash_hmac('sha1', $data, API_SECRET))``) over the fields the event documents,
with the integration's secret (the API secret). Only the end of a call carries a call:
``NOTIFY_END`` (incoming) and ``NOTIFY_OUT_END`` (outgoing); the other events are checked and
answered, nothing else. Before it posts, Zadarma checks the address with ``?zd_echo=…``, which
is answered with the value itself."""

import base64
import hashlib
import hmac

from django.utils.translation import gettext as _

from ...models import Direction
from ..events import CallEvent
from .base import Reason, Refusal, Unreadable, WebhookAdapter, same, seconds

# The fields each event's signature covers, in order.
SIGNED = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
CALL_ENDS = {"NOTIFY_END", "NOTIFY_OUT_END"}


def zadarma_signature(fields, secret: str) -> str:
    """Zadarma's signature of an event's form ``fields`` with ``secret``."""
    event = fields.get("event", "")
    data = "".join(str(fields.get(name, "")) for name in SIGNED.get(event, SIGNED["NOTIFY_END"]))
    digest = hmac.new(secret.encode(), data.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


class ZadarmaAdapter(WebhookAdapter):
    name = "zadarma"
    answers_get = True

    def authenticate(self, request) -> None:
        given = request.META.get("HTTP_SIGNATURE", "")
        if not given:
            raise Refusal(Reason.NO_CREDENTIALS, 401, _("No Signature header."))
        if not self.integration.secret or not same(
                zadarma_signature(request.POST, self.integration.secret), given):
            raise Refusal(Reason.BAD_SIGNATURE, 401, _("Wrong signature."))

    def events(self, request) -> list[CallEvent]:
        form = request.POST
        event = form.get("event", "")
        if event not in SIGNED:
            raise Unreadable(_("Not a Zadarma event: %(event)s") % {"event": event[:50]})
        if event not in CALL_ENDS:
            return []
        outgoing = event == "NOTIFY_OUT_END"
        duration = seconds(form.get("duration"), "duration")
        disposition = form.get("disposition", "").strip()
        answered = disposition.casefold() == "answered"
        return [CallEvent(
            external_id=form.get("pbx_call_id", ""),
            started_at=self.local_time(form.get("call_start"), "call_start"),
            duration_s=duration, talk_s=duration if answered else 0,
            manager=form.get("internal", ""),
            manager_alt=form.get("caller_id", "") if outgoing else "",
            status=disposition,
            direction=Direction.OUTBOUND if outgoing else Direction.INBOUND,
            phone=form.get("destination", "") if outgoing else form.get("caller_id", ""),
        )]
