"""Any JSON, mapped by an admin: each call field names a JSON path in the posted body
(``call.id``, ``legs.0.agent``), saved per integration (``Integration.json_mapping``). A body
that is a list is a list of calls; with ``"calls": "records"`` in the mapping the calls are
the list at that path. Authenticated with our token (``Authorization: Bearer``)."""

import datetime

from django.utils.translation import gettext as _

from ..events import CallEvent
from .base import Unreadable, WebhookAdapter, bearer_token, epoch, json_body, seconds, token_check

# The call fields a mapping may name, with whether a call needs them.
FIELDS = {
    "external_id": True, "started_at": True, "duration_s": True, "manager": True,
    "talk_s": False, "status": False, "direction": False, "phone": False,
    "recording_url": False, "wrapup_s": False, "manager_alt": False,
}
MISSING = object()


def json_path(body, path: str):
    """The value at ``path`` ("a.b.0.c"; a leading "$." is allowed), or ``MISSING``."""
    value = body
    for part in [p for p in path.removeprefix("$").strip(".").split(".") if p]:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.lstrip("-").isdigit() and \
                -len(value) <= int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def mapping_problems(mapping: dict) -> list[str]:
    """What is wrong with an admin's mapping (empty: it can be used)."""
    problems = [_("“%(field)s” is not a call field") % {"field": name}
                for name in mapping if name not in FIELDS and name != "calls"]
    problems += [_("“%(field)s” needs a JSON path") % {"field": name}
                 for name, needed in FIELDS.items() if needed and not mapping.get(name)]
    return problems


def events_from_json(body, mapping: dict, local_time) -> list[CallEvent]:
    records = json_path(body, mapping["calls"]) if mapping.get("calls") else body
    if records is MISSING:
        raise Unreadable(_("No calls at %(path)s.") % {"path": mapping["calls"]})
    records = records if isinstance(records, list) else [records]
    events = []
    for record in records:
        values = {name: json_path(record, path) for name, path in mapping.items()
                  if name in FIELDS and path}
        values = {name: value for name, value in values.items()
                  if value is not MISSING and value is not None}
        started = values.get("started_at", "")
        if isinstance(started, int | float) and not isinstance(started, bool):
            started_at: datetime.datetime = epoch(started, "started_at")
        else:
            started_at = local_time(started, "started_at")
        direction = str(values.get("direction", "")).strip().casefold()
        events.append(CallEvent(
            external_id=str(values.get("external_id", "")),
            started_at=started_at,
            duration_s=seconds(values.get("duration_s"), "duration_s"),
            talk_s=seconds(values["talk_s"], "talk_s") if "talk_s" in values else None,
            manager=str(values.get("manager", "")),
            manager_alt=str(values.get("manager_alt", "")),
            status=str(values.get("status", "")),
            direction={"in": "in", "inbound": "in", "incoming": "in", "out": "out",
                       "outbound": "out", "outgoing": "out"}.get(direction),
            phone=str(values.get("phone", "")),
            recording_url=str(values.get("recording_url", "")),
            wrapup_s=seconds(values.get("wrapup_s"), "wrapup_s"),
        ))
    return events


class GenericJsonAdapter(WebhookAdapter):
    name = "generic"

    def authenticate(self, request) -> None:
        token_check(self.integration, bearer_token(request))

    def events(self, request) -> list[CallEvent]:
        mapping = self.integration.json_mapping or {}
        if mapping_problems(mapping):
            raise Unreadable(_("The integration's JSON paths are not set up: %(problems)s")
                             % {"problems": "; ".join(mapping_problems(mapping))})
        return events_from_json(json_body(request), mapping, self.local_time)
