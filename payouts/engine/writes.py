"""The one write of a batch of members' computation: their payout lines, the ledger of paid
items and the line items (SPEC §4, §6.2), for a few dozen people at a time.

Compiled by the ORM (``bulk_create`` from model instances, returning ids) these statements cost
about a millisecond of Python each, more than the database spends on them; and each is a round
trip. So on PostgreSQL the three go to the server as one batch of constant statements, each
reading its rows from one JSON document (``jsonb_to_recordset``) that holds every member of the
batch: a line item finds its line by the line's key (one line per run, person, kind and key),
not by an id read back first, and the driver parses the statement's text once, not once per
batch. A member writes only a few lines, so the cost is per statement, not per row: one batch
of statements for a batch of people (``services.payout_run_compute_members``), not one per
person. Other databases (SQLite) take plain multi-row INSERTs.
"""

import datetime
import functools
import json
from decimal import Decimal
from typing import NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, router

from ..models import LineItemSource, PaidItem, PayoutLine, PayoutLineItem
from .components import LineDraft

# Values the database driver takes as they are; every other field prepares its own (JSON,
# Decimal, dates), exactly as bulk_create would.
_AS_IS = {"BigIntegerField", "BooleanField", "CharField", "ForeignKey", "PositiveIntegerField"}


class MemberLines(NamedTuple):
    """One person's lines to write: who, the plan version that paid them, the drafts."""

    manager_id: int
    version_id: int | None
    drafts: list[LineDraft]


def members_lines_save(*, run, members: list[MemberLines]) -> None:
    """Insert the members' lines, the paid items of the lines that are not held, and every
    line's source items. The caller holds the transaction (and the members' claims)."""
    if not members:
        return
    db = connections[router.db_for_write(PayoutLine)]
    if db.vendor == "postgresql":
        _save_as_json(db, run=run, members=members)
        return
    statements = _insert_statements(db, PayoutLine, [
        {"run": run.pk, "month": run.month, "manager": m.manager_id,
         "plan_version": m.version_id, "kind": d.kind, "key": d.key,
         "adjusts_month": d.adjusts_month, "adjusts_run": d.adjusts_run,
         "quantity": d.quantity, "rate": d.rate,
         "amount": d.amount, "held": d.held, "explanation": d.explanation}
        for m in members for d in m.drafts
    ])
    statements += _insert_statements(db, PaidItem, [
        {"run": run.pk, "manager": m.manager_id, "component_kind": i.component_kind,
         "item_kind": i.item_kind, "item_id": i.item_id, "month": run.month, "at": i.at,
         "rate": i.rate}
        for m in members for d in m.drafts
        if not d.held  # a held amount is not paid, so its items stay payable (SPEC §5)
        for i in d.items
    ])
    statements += _line_item_statements(db, run_id=run.pk, members=members)
    with db.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)


def _insert_statements(db, model, rows: list[dict]) -> list[tuple[str, list]]:
    """``bulk_create`` for rows nobody reads back: multi-row INSERTs, no ids returned.

    Each row maps every concrete field's name but the primary key to its value."""
    if not rows:
        return []
    fields, prepare, into, placeholders = _insert_parts(model, db.alias)
    size = db.ops.bulk_batch_size(fields, rows) or len(rows)
    return [
        (into + ", ".join([placeholders] * len(batch)),
         [row[name] if prep is None else prep(row[name], db)
          for row in batch for name, prep in prepare])
        for batch in (rows[start:start + size] for start in range(0, len(rows), size))
    ]


@functools.cache
def _insert_parts(model, alias: str):
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    prepare = [
        (f.name, None if f.get_internal_type() in _AS_IS else f.get_db_prep_save)
        for f in fields
    ]
    qn = connections[alias].ops.quote_name
    into = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"
            " VALUES ")
    return fields, prepare, into, "(" + ", ".join(["%s"] * len(fields)) + ")"


_ITEM_VALUES = ["manager_id", "kind", "key", "source", "call_id", "milestone_id", "payment_id",
                "quantity", "amount", "decision", "exception_id", "plan_amount"]


def _line_item_statements(db, *, run_id, members) -> list[tuple[str, list]]:
    rows = [
        [m.manager_id, d.kind, d.key, s.source,
         s.source_id if s.source == LineItemSource.CALL else None,
         s.source_id if s.source == LineItemSource.MILESTONE else None,
         s.source_id if s.source == LineItemSource.PAYMENT else None,
         _prep_decimal("quantity", s.quantity, db), _prep_decimal("amount", s.amount, db),
         s.decision, s.exception_id,
         None if s.planned is None else _prep_decimal("plan_amount", s.planned, db)]
        for m in members for d in m.drafts for s in d.sources
    ]
    if not rows:
        return []
    head, tail = _line_item_sql(db.alias)
    size = max(1, (db.ops.bulk_batch_size(_ITEM_VALUES, rows) or len(rows)) - 1)
    placeholders = "(" + ", ".join(["%s"] * len(_ITEM_VALUES)) + ")"
    return [
        (head + ", ".join([placeholders] * len(batch)) + tail,
         [value for row in batch for value in row] + [run_id])
        for batch in (rows[start:start + size] for start in range(0, len(rows), size))
    ]


def _prep_decimal(name: str, value, db):
    return PayoutLineItem._meta.get_field(name).get_db_prep_save(value, db)


@functools.cache
def _line_item_sql(alias: str) -> tuple[str, str]:
    """``WITH v(...) AS (VALUES …) INSERT … SELECT`` joining each item to its line by key.
    NULLs in VALUES have no type: each column is cast to its own."""
    qn = connections[alias].ops.quote_name
    items, lines = PayoutLineItem._meta.db_table, PayoutLine._meta.db_table
    columns = ["line_id", "source", "call_id", "milestone_id", "payment_id", "quantity",
               "amount", "decision", "exception_id", "plan_amount"]
    values = ["l.id", "v.source", "CAST(v.call_id AS bigint)", "CAST(v.milestone_id AS bigint)",
              "CAST(v.payment_id AS bigint)", "CAST(v.quantity AS numeric)",
              "CAST(v.amount AS numeric)", "v.decision", "CAST(v.exception_id AS bigint)",
              "CAST(v.plan_amount AS numeric)"]
    head = f"WITH v({', '.join(_ITEM_VALUES)}) AS (VALUES "
    tail = (
        f") INSERT INTO {qn(items)} ({', '.join(qn(c) for c in columns)})"
        f" SELECT {', '.join(values)} FROM v JOIN {qn(lines)} l"
        f" ON l.{qn('manager_id')} = v.manager_id AND l.{qn('kind')} = v.kind"
        f" AND l.{qn('key')} = v.key"
        f" WHERE l.{qn('run_id')} = %s"
    )
    return head, tail


class _ExactEncoder(DjangoJSONEncoder):
    """Decimals as text, times to the microsecond (DjangoJSONEncoder keeps milliseconds).

    Called for every Decimal of a batch's lines and items (thousands): the common types are
    tested first, by exact type."""

    def default(self, o):
        kind = type(o)
        if kind is Decimal:
            return str(o)
        if kind is datetime.datetime or kind is datetime.date:
            return o.isoformat()
        if isinstance(o, datetime.datetime | datetime.date):
            return o.isoformat()
        return super().default(o)


def _save_as_json(db, *, run, members) -> None:
    """PostgreSQL: the three inserts in one batch with one JSON document each, so that the
    statement's text never changes (the driver parses a text once, not once per batch)."""
    lines = [
        {"run_id": run.pk, "month": run.month, "manager_id": m.manager_id,
         "plan_version_id": m.version_id, "kind": d.kind, "key": d.key,
         "adjusts_month": d.adjusts_month, "adjusts_run_id": d.adjusts_run,
         "quantity": d.quantity, "rate": d.rate,
         "amount": d.amount, "held": d.held, "explanation": d.explanation}
        for m in members for d in m.drafts
    ]
    paid = [
        {"run_id": run.pk, "manager_id": m.manager_id, "component_kind": i.component_kind,
         "item_kind": i.item_kind, "item_id": i.item_id, "month": run.month, "at": i.at,
         "rate": i.rate}
        for m in members for d in m.drafts
        if not d.held  # a held amount is not paid, so its items stay payable (SPEC §5)
        for i in d.items
    ]
    items = [
        {"manager_id": m.manager_id, "kind": d.kind, "key": d.key, "source": s.source,
         "call_id": s.source_id if s.source == LineItemSource.CALL else None,
         "milestone_id": s.source_id if s.source == LineItemSource.MILESTONE else None,
         "payment_id": s.source_id if s.source == LineItemSource.PAYMENT else None,
         "quantity": s.quantity, "amount": s.amount, "decision": s.decision,
         "exception_id": s.exception_id, "plan_amount": s.planned}
        for m in members for d in m.drafts for s in d.sources
    ]
    dump = functools.partial(json.dumps, cls=_ExactEncoder)
    with db.cursor() as cursor:
        cursor.execute(_json_sql(db.alias), [dump(lines), dump(paid), dump(items), run.pk])


@functools.cache
def _json_sql(alias: str) -> str:
    db = connections[alias]
    qn = db.ops.quote_name

    def insert(model, *, select=None, source="r", join=""):
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(qn(f.column) for f in fields)
        record = ", ".join(f"{qn(f.column)} {f.db_type(db)}" for f in fields)
        return (f"INSERT INTO {qn(model._meta.db_table)} ({columns})"
                f" SELECT {select or columns} FROM jsonb_to_recordset(%s::jsonb) AS {source}"
                f"({record}){join}")

    item_fields = [f for f in PayoutLineItem._meta.concrete_fields
                   if not f.primary_key and f.name != "line"]
    item_record = ", ".join(
        ["manager_id bigint", "kind text", "key text",
         *(f"{qn(f.column)} {f.db_type(db)}" for f in item_fields)]
    )
    items = (
        f"INSERT INTO {qn(PayoutLineItem._meta.db_table)}"
        f" ({qn('line_id')}, {', '.join(qn(f.column) for f in item_fields)})"
        f" SELECT l.{qn('id')}, {', '.join('r.' + qn(f.column) for f in item_fields)}"
        f" FROM jsonb_to_recordset(%s::jsonb) AS r({item_record})"
        f" JOIN {qn(PayoutLine._meta.db_table)} l ON l.{qn('manager_id')} = r.manager_id"
        f" AND l.{qn('kind')} = r.kind AND l.{qn('key')} = r.key"
        f" WHERE l.{qn('run_id')} = %s"
    )
    return "; ".join([insert(PayoutLine), insert(PaidItem), items])
