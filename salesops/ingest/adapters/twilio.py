"""Twilio call status callbacks (https://www.twilio.com/docs/voice/api/call-resource).

``X-Twilio-Signature`` is base64 of the HMAC-SHA1, keyed with the account's auth token (the
integration's secret), of the full address Twilio requested followed by every POST parameter,
sorted by name, as name then value. Only a final status carries a call (``completed``,
``busy``, ``failed``, ``no-answer``, ``canceled``); ``initiated``, ``ringing`` and
``in-progress`` are answered and left, so their order does not matter. Keyed like the Twilio
file import: the parent call's sid for a leg of a dialled call, else the call's own sid."""

import base64
import datetime
import hashlib
import hmac

from django.utils.translation import gettext as _

from ...models import Direction
from ..events import CallEvent
from .base import Reason, Refusal, Unreadable, WebhookAdapter, same, seconds

FINAL = {"completed", "busy", "failed", "no-answer", "canceled"}


def twilio_signature(url: str, params, auth_token: str) -> str:
    data = url + "".join(f"{name}{value}" for name in sorted(params)
                         for value in params.getlist(name)) if hasattr(params, "getlist") \
        else url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioAdapter(WebhookAdapter):
    name = "twilio"

    def authenticate(self, request) -> None:
        given = request.META.get("HTTP_X_TWILIO_SIGNATURE", "")
        if not given:
            raise Refusal(Reason.NO_CREDENTIALS, 401, _("No X-Twilio-Signature header."))
        expected = twilio_signature(request.build_absolute_uri(), request.POST,
                                    self.integration.secret)
        if not self.integration.secret or not same(expected, given):
            raise Refusal(Reason.BAD_SIGNATURE, 401, _("Wrong signature."))
        account = self.integration.account_key
        if account and not same(account, request.POST.get("AccountSid", "")):
            raise Refusal(Reason.OTHER_INTEGRATION, 403,
                          _("This account is not the integration's."))

    def events(self, request) -> list[CallEvent]:
        form = request.POST
        if not form.get("CallSid"):
            raise Unreadable(_("No CallSid."))
        status = form.get("CallStatus", "").strip()
        if status not in FINAL:
            return []
        duration = seconds(form.get("CallDuration") or form.get("Duration"), "CallDuration")
        ended = self.local_time(form.get("Timestamp"), "Timestamp")
        outgoing = form.get("Direction", "").startswith("outbound")
        ours, theirs = (("From", "To") if outgoing else ("To", "From"))
        return [CallEvent(
            external_id=form.get("ParentCallSid") or form["CallSid"],
            started_at=ended - datetime.timedelta(seconds=duration),
            duration_s=duration, talk_s=duration if status == "completed" else 0,
            manager=_client(form.get(ours, "")), manager_alt=_client(form.get(theirs, "")),
            status=status, direction=Direction.OUTBOUND if outgoing else Direction.INBOUND,
            phone=form.get(theirs, "") if form.get(theirs, "")[:1] in "+0123456789" else "",
        )]


def _client(value: str) -> str:
    """``client:anna`` (a Twilio Client identity) names the person ``anna``."""
    return value.removeprefix("client:").removeprefix("sip:")
