"""Reads about integrations: their health page (issue 21)."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import Col
from django.utils import timezone

from salesops.models import CallLog
from salesops.periods import organisation_zone

from .models import Adapter, IngestDay, Integration, RefusedRequest


@dataclass(frozen=True)
class Health:
    calls_today: int
    last_event_at: datetime.datetime | None
    refusals: list[RefusedRequest]
    refusals_today: int
    # Calls of the integration's source that a file import brought while the integration was
    # live and no delivery of it did: events the PBX did not post.
    missed: list[CallLog]
    missed_count: int


def integration_health(integration: Integration, *, listed: int = 20) -> Health:
    zone = organisation_zone()
    today = timezone.localdate(timezone=zone)
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    batches = IngestDay.objects.filter(integration=integration).values("batch_id")
    calls = CallLog.objects.filter(source=integration.source, batch_id__in=batches)
    today_batch = IngestDay.objects.filter(integration=integration, day=today).values(
        "batch_id")
    missed = (CallLog.objects.filter(source=integration.source,
                                     started_at__gte=integration.created_at)
              .exclude(batch_id__in=batches)
              .filter(Q(batch__isnull=False) & ~Q(batch__file=""))
              .select_related("manager__user", "batch").order_by("-started_at"))
    refusals = integration.refusals.order_by("-at")
    return Health(
        calls_today=calls.filter(batch_id__in=today_batch).count(),
        last_event_at=integration.last_event_at,
        refusals=list(refusals[:listed]),
        refusals_today=refusals.filter(at__gte=start).count(),
        missed=list(missed[:listed]), missed_count=missed.count(),
    )


def _integration_where(column: str, value, *, webhook: bool) -> Integration | None:
    # Every posted request reads its integration: one plain statement, its values converted
    # as the ORM converts them (``_reading``), instead of a query the ORM builds afresh each
    # time — building it cost a webhook more than its own writes.
    field = Integration._meta.get_field(column)
    quote = connection.ops.quote_name
    columns, names, converters = _reading()
    sql = (f"SELECT {columns} FROM {quote(Integration._meta.db_table)}"
           f" WHERE {quote(field.column)} = %s")
    params = [field.get_db_prep_value(value, connection)]
    if webhook:  # the batch API's integrations have no webhook address
        sql += " AND adapter <> %s"
        params.append(Adapter.API.value)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    for place, expression, convert in converters:
        values[place] = convert(values[place], expression, connection)
    return Integration.from_db(connection.alias, names, values)


_READING: dict[str, tuple] = {}


def _reading() -> tuple[str, list[str], list[tuple]]:
    """The integration's columns, field names and the database's value converters, worked
    out once per database."""
    if connection.alias not in _READING:
        table = Integration._meta.db_table
        fields = Integration._meta.concrete_fields
        converters = []
        for place, field in enumerate(fields):
            expression = Col(table, field)
            converters += [(place, expression, convert) for convert in
                           connection.ops.get_db_converters(expression)
                           + expression.get_db_converters(connection)]
        _READING[connection.alias] = (
            ", ".join(connection.ops.quote_name(field.column) for field in fields),
            [field.attname for field in fields], converters)
    return _READING[connection.alias]


def integration_at_address(public_id) -> Integration | None:
    """The integration whose webhook address key is ``public_id`` (None: no such webhook)."""
    return _integration_where("public_id", public_id, webhook=True)


def integration_with_token(digest: str) -> Integration | None:
    """The integration whose token hashes to ``digest``."""
    return _integration_where("token_hash", digest, webhook=False)
