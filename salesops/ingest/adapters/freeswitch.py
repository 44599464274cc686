"""FreeSWITCH ``mod_json_cdr``: one POST per leg at hang-up, the CDR as JSON (raw, or in a
``cdr`` form field, URL-encoded or base64 as ``encode`` sets it), with HTTP Basic auth
(``cred``: any user name, our token as the password).

Legs of one call are joined: a B-leg names its A-leg in ``originating_leg_uuid``, so both are
keyed by the A-leg's uuid (the uuid a FreeSWITCH cdr_csv file gives the call) and the leg that
talked longest is kept, whichever leg arrives first. Times are the ``*_uepoch`` (UTC)
variables; the status is the ``hangup_cause`` (read through the freeswitch status mappings)."""

import base64
import binascii
import json

from django.utils.translation import gettext as _

from ...models import Direction
from ..events import CallEvent
from .base import Unreadable, WebhookAdapter, basic_password, epoch, seconds, token_check


class FreeswitchAdapter(WebhookAdapter):
    name = "freeswitch"

    def authenticate(self, request) -> None:
        token_check(self.integration, basic_password(request))

    def _cdr(self, request) -> dict:
        raw = request.POST.get("cdr") if request.content_type != "application/json" else None
        text = raw if raw is not None else (request.body or b"").decode("utf-8", "replace")
        if raw is not None and not raw.lstrip().startswith("{"):
            try:
                text = base64.b64decode(raw, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise Unreadable(_("The cdr field is neither JSON nor base64 JSON.")) from None
        try:
            cdr = json.loads(text)
        except ValueError:
            raise Unreadable(_("The body is not JSON.")) from None
        if not isinstance(cdr, dict) or not isinstance(cdr.get("variables"), dict):
            raise Unreadable(_("Not a mod_json_cdr record: no variables."))
        return cdr

    def events(self, request) -> list[CallEvent]:
        variables = {key: "" if value is None else str(value)
                     for key, value in self._cdr(request)["variables"].items()}
        key = variables.get("originating_leg_uuid") or variables.get("uuid", "")
        if variables.get("start_uepoch"):
            started = epoch(variables["start_uepoch"], "start_uepoch")
        else:
            started = self.local_time(variables.get("start_stamp"), "start_stamp")
        # Both legs carry the caller and the number dialled: the person is the accountcode or
        # the registered user when set, else whichever side the manager keys know.
        caller = variables.get("caller_id_number") or variables.get("sip_from_user", "")
        callee = variables.get("destination_number") or variables.get("sip_to_user", "")
        manager = variables.get("accountcode") or variables.get("user_name") or caller
        return [CallEvent(
            external_id=key, started_at=started,
            duration_s=seconds(variables.get("duration"), "duration"),
            talk_s=seconds(variables.get("billsec"), "billsec"),
            manager=manager, manager_alt=callee,
            status=variables.get("hangup_cause", ""),
            direction=Direction.OUTBOUND, phone=callee,
        )]
