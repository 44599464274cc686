"""The batch API's calls, read by hand: a batch of 5 000 calls is read in milliseconds, and
each item that cannot be read is reported by its index with the field and value, never
failing the batch (the schema of an item: ``api.CallItemSerializer``)."""

import datetime

from django.utils.translation import gettext as _

from salesops.models import Direction, Outcome

from .events import CallEvent, ItemError

TEXT_FIELDS = ("external_id", "manager", "manager_alt", "status", "phone", "recording_url")
SECONDS = ("duration_s", "talk_s", "wrapup_s")
ITEM_FIELDS = {*TEXT_FIELDS, *SECONDS, "started_at", "direction", "outcome"}
OUTCOMES = {choice.name.lower(): choice.value for choice in Outcome}


def _seconds(value, name: str, errors: list, required: bool) -> int | None:
    if value is None:
        if required:
            errors.append(ItemError(name, "", _("required")))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        errors.append(ItemError(name, str(value)[:500], _("not a whole number of seconds")))
        return None
    return round(value)


def _started(value, zone, errors: list) -> datetime.datetime | None:
    if not isinstance(value, str) or not value.strip():
        errors.append(ItemError("started_at", str(value or "")[:500], _("required: ISO 8601")))
        return None
    try:
        started = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        errors.append(ItemError("started_at", value[:500], _("not an ISO 8601 date and time")))
        return None
    return started if started.tzinfo else started.replace(tzinfo=zone)


def item_event(item, zone) -> tuple[CallEvent | None, list[ItemError]]:
    """One item of the batch as a call event, or what is wrong with its shape."""
    if not isinstance(item, dict):
        return None, [ItemError("", str(item)[:500], _("a call is a JSON object"))]
    errors = [ItemError(name, "", _("not a field of a call")) for name in item
              if name not in ITEM_FIELDS]
    text = {}
    for name in TEXT_FIELDS:
        value = item.get(name, "")
        if value is None:
            value = ""
        if isinstance(value, int) and not isinstance(value, bool) and name != "recording_url":
            value = str(value)  # an extension or a numeric id sent as a number
        if not isinstance(value, str):
            errors.append(ItemError(name, str(value)[:500], _("not text")))
            value = ""
        text[name] = value
    started = _started(item.get("started_at"), zone, errors)
    duration = _seconds(item.get("duration_s"), "duration_s", errors, required=True)
    talk = _seconds(item.get("talk_s"), "talk_s", errors, required=False)
    wrapup = _seconds(item.get("wrapup_s"), "wrapup_s", errors, required=False)
    direction = item.get("direction")
    if direction not in (None, "", Direction.INBOUND, Direction.OUTBOUND):
        errors.append(ItemError("direction", str(direction)[:500], _("“in” or “out”")))
    outcome = item.get("outcome")
    if outcome is not None:
        if outcome not in OUTCOMES:
            errors.append(ItemError("outcome", str(outcome)[:500], _("not an outcome")))
        outcome = OUTCOMES.get(outcome)
    if errors:
        return None, errors
    return CallEvent(
        external_id=text["external_id"], started_at=started, duration_s=duration,
        manager=text["manager"], manager_alt=text["manager_alt"], talk_s=talk,
        status=text["status"], outcome=outcome, direction=direction or None,
        phone=text["phone"], recording_url=text["recording_url"], wrapup_s=wrapup or 0,
    ), []
