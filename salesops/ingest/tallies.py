"""The counters of an integration's day batch and the dashboard's daily figures, brought up to
date after the requests that posted calls, not by each of them.

A request that writes calls inserts one ``IngestTally`` row in its own transaction and asks for
``ingest_tallies_apply`` once per ``INGEST_TALLY_DELAY_S`` (per process; a beat entry sweeps
every minute as well, so a lost message only delays). The task adds the tallies it reads to
their batches' counters, recounts the (manager, day) rows they touched from the calls, and
deletes exactly those tallies, in one transaction. A tally is visible only once its request's
calls are committed, and the recount is a later statement than the read of the tallies: every
call a tally read stands for is counted. Tallies committed meanwhile wait for the next run.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from salesops.imports.stats import daily_stats_refresh
from salesops.models import ImportBatch
from salesops.queueing import queue_once_per_delay

from .models import IngestTally

QUEUED_KEY = "salesops.ingest.tallies_apply.queued"
_TALLY_FIELDS = ("batch", "at", "rows", "created", "present", "updated", "conflicts", "errors",
                 "days")


@dataclass(frozen=True)
class Counts:
    rows: int
    created: int
    present: int
    updated: int
    conflicts: int
    errors: int


def tally_record(*, batch_id: int, counts: Counts,
                 days: set[tuple[int, datetime.date]]) -> None:
    """Call inside the request's transaction, after its writes."""
    # A plain INSERT: it runs once per webhook, and the ORM's own cost of building it was
    # several times the statement's.
    values = [batch_id, timezone.now(), counts.rows, counts.created, counts.present,
              counts.updated, counts.conflicts, counts.errors,
              sorted([pk, day.isoformat()] for pk, day in days)]
    fields = [IngestTally._meta.get_field(name) for name in _TALLY_FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(IngestTally._meta.db_table)}"
            f" ({', '.join(connection.ops.quote_name(f.column) for f in fields)})"
            f" VALUES ({', '.join(['%s'] * len(fields))})",
            [field.get_db_prep_save(value, connection)
             for field, value in zip(fields, values, strict=True)])
    transaction.on_commit(tallies_apply_soon)


def tallies_apply_soon() -> None:
    from .tasks import ingest_tallies_apply

    queue_once_per_delay(ingest_tallies_apply, key=QUEUED_KEY,
                         delay_s=settings.INGEST_TALLY_DELAY_S)


@transaction.atomic
def tallies_apply(*, limit: int = 5000) -> int:
    """Apply up to ``limit`` waiting tallies; returns how many. Two runs at once never take
    the same tally (``skip_locked``)."""
    taken = dict(IngestTally.objects.select_for_update(skip_locked=True).order_by("pk")
                 .values_list("pk", "days")[:limit])
    if not taken:
        return 0
    # The counters are summed per batch by the database; the days are a union of lists.
    for sums in (IngestTally.objects.filter(pk__in=list(taken)).values("batch")
                 .annotate(rows=Sum("rows"), created=Sum("created"), present=Sum("present"),
                           updated=Sum("updated"), conflicts=Sum("conflicts"),
                           errors=Sum("errors"), last=Max("at")).order_by()):
        ImportBatch.objects.filter(pk=sums["batch"]).update(
            rows_read=F("rows_read") + sums["rows"],
            created_count=F("created_count") + sums["created"],
            present_count=F("present_count") + sums["present"],
            updated_count=F("updated_count") + sums["updated"],
            conflict_count=F("conflict_count") + sums["conflicts"],
            error_count=F("error_count") + sums["errors"], finished_at=sums["last"])
    daily_stats_refresh(pairs={(int(pk), datetime.date.fromisoformat(day))
                               for days in taken.values() for pk, day in days})
    IngestTally.objects.filter(pk__in=list(taken)).delete()
    return len(taken)

