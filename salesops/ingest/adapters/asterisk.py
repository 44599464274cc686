"""Asterisk CDR posted as JSON (cdr fields: ``uniqueid``, ``linkedid``, ``start``, ``answer``,
``end``, ``duration``, ``billsec``, ``disposition``, ``accountcode``, ``userfield``, ``src``,
``dst``, ``channel``, ``dstchannel``), one record or a list, with our token as ``Authorization:
Bearer``. Keyed like the file import's group id: ``linkedid`` when given (legs of one call are
one call, the leg that talked longest kept), else ``uniqueid``. The manager: ``accountcode``,
else the channel's endpoint (``SIP/101-0000a`` → 101), else ``src``."""

from django.utils.translation import gettext as _

from salesops.imports.values import channel_peer

from ..events import CallEvent
from .base import Unreadable, WebhookAdapter, bearer_token, json_body, seconds, token_check


class AsteriskAdapter(WebhookAdapter):
    name = "asterisk"

    def authenticate(self, request) -> None:
        token_check(self.integration, bearer_token(request))

    def events(self, request) -> list[CallEvent]:
        body = json_body(request)
        records = body if isinstance(body, list) else [body]
        if not records or not all(isinstance(record, dict) for record in records):
            raise Unreadable(_("Expected a CDR object or a list of them."))
        return [self._event(record) for record in records]

    def _event(self, cdr: dict) -> CallEvent:
        text = {key: "" if value is None else str(value).strip() for key, value in cdr.items()}
        peer = channel_peer(text.get("channel", ""))
        duration = seconds(text.get("duration"), "duration")
        return CallEvent(
            external_id=text.get("linkedid") or text.get("uniqueid", ""),
            started_at=self.local_time(text.get("start"), "start"),
            duration_s=duration, talk_s=seconds(text.get("billsec"), "billsec"),
            manager=text.get("accountcode") or peer or text.get("src", ""),
            manager_alt=text.get("src", "") if text.get("accountcode") or peer
            else channel_peer(text.get("dstchannel", "")),
            status=text.get("disposition", ""), phone=text.get("dst", ""),
            recording_url=text.get("recordingfile", ""),
        )
