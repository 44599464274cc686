"""The one ingestion path for calls that arrive by themselves (webhooks, the batch API).

Calls are keyed by (source, external id), as the file importer keys them, and matched to
managers and outcomes with the importer's own manager keys (extension, login, e-mail, aliases,
full name) and status mappings. What is already stored changes only when the new version
carries more: a longer talk, a better outcome, a longer call, in that order (``_rank``). That
rule makes providers' double and out-of-order deliveries harmless — the stored call is the most
any delivery said, whatever their order — and a file imported before a webhook is left alone
unless the webhook knows more. A change that carries more for a month that is approved or paid
is not applied: it becomes an import conflict, as a re-import's does (SPEC §6.5). A file
imported after a webhook goes through the importer's own rule (``salesops.imports.loaders``).

Every write goes through the pay-input layer: the batch of the integration's day
(``IngestDay``) holds the calls, conflicts and unknown values, its months are marked changed
and one audit row says what each request wrote.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesops import policy
from salesops.imports.selectors import manager_keys, status_map
from salesops.imports.values import MAX_DURATION_S, manager_key, normalise_phone, recording_link
from salesops.imports.vocabulary import status_key
from salesops.inputs import locked_days, pay_input_writer, pay_inputs_recorded_in_bulk
from salesops.models import (
    CallLog,
    Direction,
    ImportBatch,
    ImportCallChange,
    ImportConflict,
    ImportRowError,
    Manager,
    Outcome,
)
from salesops.periods import organisation_zone

from .events import CallEvent, IngestOutcome, ItemError, ItemResult
from .memo import forget, remembered
from .models import IngestDay, Integration
from .tallies import Counts, tally_record

MAX_ID = 128
UNKNOWN_MANAGER, UNKNOWN_STATUS = (ImportRowError.Kind.UNKNOWN_MANAGER.value,
                                   ImportRowError.Kind.UNKNOWN_STATUS.value)


def _rank(call) -> tuple[int, int, int]:
    """How much a version of a call carries: what it talked, what came of it, how long."""
    return (call.talk_s, call.outcome, call.duration_s)


def _day(manager_id: int, started_at: datetime.datetime) -> tuple[int, datetime.date]:
    return manager_id, started_at.astimezone(organisation_zone()).date()


def zone_of(integration: Integration | None) -> datetime.tzinfo:
    if integration is not None and integration.time_zone:
        return ZoneInfo(integration.time_zone)
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(slots=True)
class _Call:
    """A call about to be written: the columns of ``CallLog`` without a model instance's
    cost (thousands per batch)."""

    source: str
    external_id: str
    manager_id: int
    started_at: datetime.datetime
    duration_s: int
    talk_s: int
    wrapup_s: int
    direction: str
    phone: str
    outcome: int
    recording_url: str
    batch_id: int | None = None
    pk: int | None = None


class _Reader:
    """Turns events into unsaved calls or item errors with the importer's keys and mappings."""

    def __init__(self, *, source: str, integration: Integration | None, statuses: str):
        self.source = source
        self.keys = remembered(("keys",), lambda: dict(manager_keys()))
        self.statuses = remembered(("statuses", statuses), lambda: status_map(statuses))
        self.allowed = None
        if integration is not None and integration.pk:
            self.allowed = remembered(("allowed", integration.pk),
                                      lambda: _allowed_managers(integration))
        self.latest = timezone.now() + datetime.timedelta(seconds=settings.IMPORT_MAX_FUTURE_S)

    def call(self, event: CallEvent) -> tuple["_Call | None", list[ItemError]]:
        errors = []
        external_id = (event.external_id or "").strip()
        if not external_id:
            errors.append(ItemError("external_id", "", _("no call id")))
        elif len(external_id) > MAX_ID:
            errors.append(ItemError("external_id", external_id[:200],
                                    _("call id longer than %(max)d characters") % {"max": MAX_ID}))
        started = event.started_at
        if started is None or timezone.is_naive(started):
            errors.append(ItemError("started_at", str(started), _("not a date and time")))
        elif not 1990 <= started.year <= 2100:
            errors.append(ItemError("started_at", started.isoformat(),
                                    _("date out of range (1990–2100)")))
        elif started > self.latest:
            errors.append(ItemError("started_at", started.isoformat(),
                                    _("in the future: a call cannot start after today")))
        duration, talk = event.duration_s, event.talk_s
        for name, value in (("duration_s", duration), ("talk_s", talk),
                            ("wrapup_s", event.wrapup_s)):
            if value is not None and not 0 <= value <= MAX_DURATION_S:
                errors.append(ItemError(name, str(value), _("not between 0 and %(max)d s")
                                        % {"max": MAX_DURATION_S}))
        status = (event.status or "").strip()
        outcome = event.outcome
        if status:
            outcome = self.statuses.get(status_key(status))
            if outcome is None:
                errors.append(ItemError("status", status[:500], _(
                    "unknown status: add it to the status mappings; the call is taken when "
                    "the provider sends it again"), UNKNOWN_STATUS))
        elif outcome is None:
            outcome = Outcome.ANSWERED if talk else Outcome.NO_ANSWER
        elif outcome not in Outcome.values:
            errors.append(ItemError("outcome", str(outcome), _("not an outcome")))
        if outcome is not None and talk is None and duration is not None:
            talk = duration if outcome != Outcome.NO_ANSWER else 0
        if talk is not None and duration is not None and talk > duration:
            errors.append(ItemError("talk_s", str(talk), _(
                "talk (%(talk)d s) is longer than the call (%(duration)d s)")
                % {"talk": talk, "duration": duration}))
        named = (event.manager or "").strip()
        manager_id = self.keys.get(manager_key(named)) if named else None
        if manager_id is None and (event.manager_alt or "").strip():
            manager_id = self.keys.get(manager_key(event.manager_alt.strip()))
            named = " / ".join(v for v in (named, event.manager_alt.strip()) if v)
        if manager_id is None:
            errors.append(ItemError("manager", named[:500], _(
                "unknown manager: map this value to a manager (manager aliases); the call is "
                "taken when the provider sends it again"), UNKNOWN_MANAGER))
        elif self.allowed is not None and manager_id not in self.allowed:
            errors.append(ItemError("manager", named[:500], _(
                "this integration may not post calls of this manager (its teams)")))
        try:
            phone = normalise_phone(event.phone)
        except ValueError as exc:
            errors.append(ItemError("phone", str(event.phone)[:500], str(exc)))
            phone = ""
        try:
            recording = recording_link(event.recording_url)
        except ValueError as exc:
            errors.append(ItemError("recording_url", str(event.recording_url)[:500], str(exc)))
            recording = ""
        if event.direction not in (None, "", Direction.INBOUND, Direction.OUTBOUND):
            errors.append(ItemError("direction", str(event.direction), _("not in or out")))
        if errors:
            return None, errors
        return _Call(
            source=self.source, external_id=external_id, manager_id=manager_id,
            started_at=started, duration_s=duration, talk_s=talk, wrapup_s=event.wrapup_s or 0,
            direction=event.direction or Direction.OUTBOUND, phone=phone[:32],
            outcome=int(outcome), recording_url=recording,
        ), []


def _allowed_managers(integration: Integration) -> set[int] | None:
    teams = list(integration.teams.values_list("pk", flat=True))
    if not teams:
        return None
    return set(Manager.objects.filter(team__in=teams).values_list("pk", flat=True))


def ingest_batch_for_day(*, integration: Integration) -> ImportBatch:
    """The import batch of ``integration``'s calls of today (made on its first call)."""
    today = timezone.localdate(timezone=organisation_zone())
    batch_id = remembered(("day", integration.pk, today), lambda: IngestDay.objects.filter(
        integration=integration, day=today).values_list("batch_id", flat=True).first())
    if batch_id is not None:
        return ImportBatch(pk=batch_id, source=integration.source)
    forget(("day", integration.pk, today))
    now = timezone.now()
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                source=integration.source, status=ImportBatch.Status.DONE,
                file_name=f"{integration.name} · {today:%Y-%m-%d}"[:255],
                preset=f"ingest:{integration.adapter}", started_at=now, finished_at=now,
                message=_("Calls posted by the integration “%(name)s” on %(day)s.")
                % {"name": integration.name, "day": f"{today:%Y-%m-%d}"},
            )
            IngestDay.objects.create(integration=integration, day=today, batch=batch)
            return batch
    except IntegrityError:  # another request made it first
        return IngestDay.objects.select_related("batch").get(
            integration=integration, day=today).batch


def request_batch(*, source: str, by) -> ImportBatch:
    """The import batch of one API request made by a signed-in admin (no integration)."""
    now = timezone.now()
    return ImportBatch.objects.create(
        source=source, status=ImportBatch.Status.DONE, created_by=by, preset="ingest:api",
        file_name=f"API · {timezone.localtime(now, organisation_zone()):%Y-%m-%d %H:%M:%S}",
        started_at=now, finished_at=now, message=_("Calls posted through the API."),
    )


@pay_input_writer
def calls_ingest(
    *, events: Sequence[CallEvent], source: str, integration: Integration | None = None,
    by=None, batch: ImportBatch | None = None, positions: Sequence[int] | None = None,
    rejected: Sequence[ItemResult] = (),
) -> IngestOutcome:
    """Take ``events`` as calls of ``source``: idempotent and order-independent by (source,
    external id) and ``_rank``; one transaction for all of them (per-item errors are results,
    not failures). ``batch``: the import batch to hold them (default: the integration's day).
    ``positions``: each event's index in the request (default: its place in ``events``);
    ``rejected``: items of the request already refused by their shape, recorded alongside."""
    if by is not None:  # a signed-in person posting: who may import calls (admins)
        policy.require(by, policy.IMPORT, "calls")
    reader = _Reader(source=source, integration=integration,
                     statuses=integration.statuses if integration else "api")
    items: list[ItemResult] = []
    best: dict[str, tuple[int, _Call]] = {}  # external id → (index, the version carrying most)
    for place, event in enumerate(events):
        call, errors = reader.call(event)
        item = ItemResult(index=positions[place] if positions is not None else place,
                          external_id=(event.external_id or "")[:MAX_ID],
                          result="error" if errors else "present", errors=errors)
        items.append(item)
        if call is None:
            continue
        kept = best.get(call.external_id)
        if kept is None or _rank(call) > _rank(kept[1]):
            best[call.external_id] = (place, call)
    items += rejected
    with transaction.atomic():
        if batch is None:
            batch = (ingest_batch_for_day(integration=integration) if integration is not None
                     else request_batch(source=source, by=by))
        _record_unknown(batch, items)
        written = _write(batch, best, items) if best else set()
        _finish(batch, items, written, by=by, integration=integration)
    return IngestOutcome(items=sorted(items, key=lambda item: item.index), batch_id=batch.pk)


def _record_unknown(batch: ImportBatch, items: list[ItemResult]) -> None:
    """Unknown managers and statuses become the batch's row errors: the importer's pages list
    them by value and map them in bulk (aliases, status mappings)."""
    rows = [ImportRowError(batch=batch, line=item.index + 1, column=error.field,
                           value=error.value[:500], reason=error.reason[:300], kind=error.kind)
            for item in items for error in item.errors if error.kind]
    ImportRowError.objects.bulk_create(rows, batch_size=1000)


def _stored(source: str, external_ids: list[str]) -> dict[str, CallLog]:
    found = {}
    for start in range(0, len(external_ids), 1000):
        part = external_ids[start:start + 1000]
        found.update((call.external_id, call) for call in CallLog.objects.select_for_update()
                     .filter(source=source, external_id__in=part).order_by("pk"))
    return found


def _write(batch: ImportBatch, best: dict[str, tuple[int, "_Call"]],
           items: list[ItemResult]) -> set[tuple[int, datetime.date]]:
    """Insert the new calls, judge the stored ones; returns the (manager, day) pairs touched."""
    source = next(iter(best.values()))[1].source
    for _index, call in best.values():
        call.batch_id = batch.pk
    # Insert first: the unique (source, external id) decides, in the database, which calls
    # are new, also against a concurrent request posting the same call; the others are read
    # (locked) and judged.
    inserted = _insert_new([call for _index, call in best.values()])
    stored = _stored(source, [key for key in best if key not in inserted])
    touched: set[tuple[int, datetime.date]] = set()
    created = set()
    after = {}
    for key, pk in inserted.items():
        call = best[key][1]
        call.pk = pk
        after[key] = call
        created.add(key)
        touched.add(_day(call.manager_id, call.started_at))
    changing = []  # (stored, incoming, index)
    fills = []
    for key, (index, incoming) in best.items():
        item = items[index]
        if key in created:
            item.result, item.call_id = "created", after[key].pk
            continue
        row = stored[key]
        item.call_id = row.pk
        if _rank(incoming) > _rank(row):
            changing.append((row, incoming, index))
        else:
            item.result = "present"
            if (not row.recording_url and incoming.recording_url) or (
                    not row.phone and incoming.phone):
                fills.append((row, incoming))
    for row, incoming in fills:
        CallLog.objects.filter(pk=row.pk).update(
            recording_url=row.recording_url or incoming.recording_url,
            phone=row.phone or incoming.phone)
    if not changing:
        return touched
    locked = set(locked_days({_day(c.manager_id, c.started_at)
                              for row, incoming, _i in changing for c in (row, incoming)}))
    conflicts, remembered = [], []
    for row, incoming, index in changing:
        old, new_day = _day(row.manager_id, row.started_at), _day(incoming.manager_id,
                                                                    incoming.started_at)
        if old in locked or new_day in locked:
            items[index].result = "conflict"
            conflicts.append(ImportConflict(
                batch=batch, call_id=row.pk, line=items[index].index + 1,
                old_manager_id=row.manager_id,
                new_manager_id=incoming.manager_id, old_started_at=row.started_at,
                new_started_at=incoming.started_at, old_duration_s=row.duration_s,
                new_duration_s=incoming.duration_s, old_talk_s=row.talk_s,
                new_talk_s=incoming.talk_s, old_outcome=row.outcome,
                new_outcome=incoming.outcome, new_direction=incoming.direction,
                new_phone=incoming.phone[:32]))
            continue
        items[index].result = "updated"
        if row.batch_id != batch.pk:  # a rollback of this batch puts the old version back
            remembered.append(ImportCallChange(
                batch=batch, call_id=row.pk, manager_id=row.manager_id,
                started_at=row.started_at, duration_s=row.duration_s, talk_s=row.talk_s,
                direction=row.direction, phone=row.phone, outcome=row.outcome))
        CallLog.objects.filter(pk=row.pk).update(
            manager_id=incoming.manager_id, started_at=incoming.started_at,
            duration_s=incoming.duration_s, talk_s=incoming.talk_s,
            direction=incoming.direction, outcome=incoming.outcome,
            phone=incoming.phone or row.phone,
            recording_url=row.recording_url or incoming.recording_url)
        touched |= {old, new_day}
    ImportConflict.objects.bulk_create(conflicts, ignore_conflicts=True)
    ImportCallChange.objects.bulk_create(remembered, ignore_conflicts=True)
    return touched


_INSERTED = ("source", "external_id", "manager_id", "started_at", "duration_s", "talk_s",
             "wrapup_s", "direction", "phone", "outcome", "recording_url", "batch_id")


_FEW = 20  # up to this many calls are inserted as rows of values, more as arrays
_TYPES = ("text", "text", "bigint", "timestamptz", "integer", "integer", "integer", "text",
          "text", "smallint", "text", "bigint")


def _insert_new(calls: list["_Call"]) -> dict[str, int]:
    """Insert ``calls`` whose (source, external id) is not taken; external id → new pk."""
    if connection.vendor != "postgresql":
        taken = set(CallLog.objects.filter(
            source=calls[0].source, external_id__in=[c.external_id for c in calls])
            .values_list("external_id", flat=True))
        new = [CallLog(**{name: getattr(call, name) for name in _INSERTED})
               for call in calls if call.external_id not in taken]
        CallLog.objects.bulk_create(new, batch_size=500)
        return {call.external_id: call.pk for call in new}
    table = CallLog._meta.db_table
    columns = ", ".join(_INSERTED)
    if len(calls) <= _FEW:
        # A webhook's call or two: plain rows, cheaper to send and to plan than arrays.
        row = f"({', '.join(['%s'] * len(_INSERTED))})"
        rows = "VALUES " + ", ".join([row] * len(calls))
        params = [getattr(call, name) for call in calls for name in _INSERTED]
    else:
        # One array per column (unnest): a short statement whatever the batch's size.
        rows = f"SELECT * FROM unnest({', '.join(f'%s::{kind}[]' for kind in _TYPES)})"
        params = [[getattr(call, name) for call in calls] for name in _INSERTED]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) {rows}"
            " ON CONFLICT (source, external_id) DO NOTHING RETURNING external_id, id", params)
        return dict(cursor.fetchall())


def _finish(batch: ImportBatch, items: list[ItemResult], touched, *, by, integration) -> None:
    outcome = IngestOutcome(items=items)
    counts = outcome.counts
    if not any(counts[name] for name in ("created", "updated", "conflict", "error")):
        return  # a repeated delivery: nothing written, nothing to record
    # The day batch's counters and the daily figures follow a burst of requests, not each
    # one (salesops.ingest.tallies): every webhook of an integration counts on one batch row.
    tally_record(batch_id=batch.pk, days=touched, counts=Counts(
        rows=len(items), created=counts["created"], present=counts["present"],
        updated=counts["updated"], conflicts=counts["conflict"],
        errors=sum(len(item.errors) for item in items)))
    pay_inputs_recorded_in_bulk(
        action="calls_ingested", obj=batch, by=by, days=touched,
        after={**counts, "integration": integration.pk if integration else None})
