"""The month page's body, kept in the cache under a fingerprint of everything it shows.

Building the page costs about fifteen queries and a template full of formatted money; reading
it back costs one query: the fingerprint. The fingerprint is the content of every row the page
reads, gathered by one statement and hashed here, so a cached body can never outlive what it
shows. Any change to those rows gives another key and the page is built again:

- the person's payout lines of every month (the month's figures and the statements). Lines are
  never updated, only deleted and inserted again with new ids, so their count and ids say
  whether they changed;
- the runs those lines belong to, and the team's run of the month (status, generation, time of
  computation), and the person's member row of the month (the engine's figures for plan
  progress and the forecast come with the run's generation);
- the person's inquiries (their state is shown beside each line);
- the month's daily figures and monthly targets;
- the plan components, tiers and rates of the month's lines (each line says its rule);
- the month's line items with the date of their milestone or payment (the daily chart).

Every column of a row counts (the list is read from the models), so a field added later is in
the fingerprint without anyone remembering it. What the page shows that is not a row — the
reader's language, whether it is their own pay, the person's name, today's date (working days
left) — is in the key beside it. Entries also expire after ``TTL_S``: a bound, not the rule.
"""

import datetime
import functools
import hashlib
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router
from django.template.loader import get_template

from leads.models import LeadMilestone, Payment
from salesops.models import DailyManagerStats, Manager, MonthlyPlan
from salesops.periods import next_month

from ..models import (
    ComponentRate,
    PayoutInquiry,
    PayoutLine,
    PayoutLineItem,
    PayoutRun,
    PayoutRunManager,
    PlanComponent,
    RevenueTier,
)

BODY_TEMPLATE = "earnings/_month_body.html"
TTL_S = 15 * 60
KEY_VERSION = 1


def _row_text(model, alias: str, table_alias: str) -> str:
    """Every column of ``model``'s row as one text (a SQL expression). PostgreSQL writes a
    whole row as text itself, the cheapest to plan; elsewhere each column, NULL as empty."""
    connection = connections[alias]
    if connection.vendor == "postgresql":
        return f"CAST({table_alias} AS TEXT)"
    qn = connection.ops.quote_name
    return " || '|' || ".join(
        f"COALESCE(CAST({table_alias}.{qn(field.column)} AS TEXT), '')"
        for field in model._meta.concrete_fields
    )


@functools.cache
def _fingerprint_sql(alias: str) -> str:
    """One statement, one row per fact: (what, its text). Parameters: manager, team, month,
    next month."""
    qn = connections[alias].ops.quote_name

    def table(model):
        return qn(model._meta.db_table)

    lines, runs, members = table(PayoutLine), table(PayoutRun), table(PayoutRunManager)
    month_lines = (f"SELECT l.{qn('id')} FROM {lines} l WHERE l.{qn('manager_id')} = %(manager)s"
                   f" AND l.{qn('month')} = %(month)s")
    month_versions = (f"SELECT l.{qn('plan_version_id')} FROM {lines} l"
                      f" WHERE l.{qn('manager_id')} = %(manager)s AND l.{qn('month')} = %(month)s")
    components = (f"SELECT c.{qn('id')} FROM {table(PlanComponent)} c"
                  f" WHERE c.{qn('version_id')} IN ({month_versions})")
    parts = [
        # Lines are immutable: how many and which ids say whether any was deleted or added.
        f"SELECT 'lines', CAST(COUNT(*) AS TEXT) || '|' || COALESCE(CAST(MAX(l.{qn('id')})"
        f" AS TEXT), '') || '|' || COALESCE(CAST(SUM(l.{qn('id')}) AS TEXT), '')"
        f" FROM {lines} l WHERE l.{qn('manager_id')} = %(manager)s",
        f"SELECT 'run', {_row_text(PayoutRun, alias, 'r')} FROM {runs} r"
        f" WHERE r.{qn('id')} IN (SELECT l.{qn('run_id')} FROM {lines} l"
        f" WHERE l.{qn('manager_id')} = %(manager)s)"
        f" OR (r.{qn('team_id')} = %(team)s AND r.{qn('month')} = %(month)s)",
        f"SELECT 'member', {_row_text(PayoutRunManager, alias, 'm')}"
        f" || '|' || CAST(r.{qn('generation')} AS TEXT) FROM {members} m"
        f" JOIN {runs} r ON r.{qn('id')} = m.{qn('run_id')}"
        f" WHERE m.{qn('manager_id')} = %(manager)s AND r.{qn('month')} = %(month)s",
        f"SELECT 'inquiry', {_row_text(PayoutInquiry, alias, 'q')} FROM {table(PayoutInquiry)} q"
        f" WHERE q.{qn('manager_id')} = %(manager)s",
        f"SELECT 'day', {_row_text(DailyManagerStats, alias, 'd')}"
        f" FROM {table(DailyManagerStats)} d WHERE d.{qn('manager_id')} = %(manager)s"
        f" AND d.{qn('day')} >= %(month)s AND d.{qn('day')} < %(next)s",
        f"SELECT 'targets', {_row_text(MonthlyPlan, alias, 'p')} FROM {table(MonthlyPlan)} p"
        f" WHERE p.{qn('manager_id')} = %(manager)s AND p.{qn('month')} = %(month)s",
        f"SELECT 'component', {_row_text(PlanComponent, alias, 'c')}"
        f" FROM {table(PlanComponent)} c WHERE c.{qn('id')} IN ({components})",
        f"SELECT 'tier', {_row_text(RevenueTier, alias, 't')} FROM {table(RevenueTier)} t"
        f" WHERE t.{qn('component_id')} IN ({components})",
        f"SELECT 'rate', {_row_text(ComponentRate, alias, 'k')} FROM {table(ComponentRate)} k"
        f" WHERE k.{qn('component_id')} IN ({components})",
        # Items are written with their line; the day a milestone or payment is dated by is
        # read through them (the daily chart).
        f"SELECT 'item', CAST(i.{qn('id')} AS TEXT) || '|'"
        f" || COALESCE(CAST(s.{qn('at')} AS TEXT), '') || '|'"
        f" || COALESCE(CAST(p.{qn('received_on')} AS TEXT), '')"
        f" FROM {table(PayoutLineItem)} i"
        f" LEFT JOIN {table(LeadMilestone)} s ON s.{qn('id')} = i.{qn('milestone_id')}"
        f" LEFT JOIN {table(Payment)} p ON p.{qn('id')} = i.{qn('payment_id')}"
        f" WHERE i.{qn('line_id')} IN ({month_lines})",
    ]
    return " UNION ALL ".join(parts)


def month_fingerprint(*, manager: Manager, month: datetime.date) -> str:
    """A digest of every row the month page of ``manager`` shows (one query)."""
    alias = router.db_for_read(PayoutLine)
    with connections[alias].cursor() as cursor:
        cursor.execute(_fingerprint_sql(alias), {
            "manager": manager.pk, "team": manager.team_id, "month": month,
            "next": next_month(month),
        })
        rows = sorted(cursor.fetchall())
    digest = hashlib.blake2b(digest_size=20)
    for what, text in rows:
        digest.update(f"{what}\x1f{text}\x1e".encode())
    return digest.hexdigest()


@functools.cache
def _template_digest() -> str:
    """The body template's source: a new release never serves the old one's pages."""
    origin = get_template(BODY_TEMPLATE).origin.name
    return hashlib.blake2b(Path(origin).read_bytes(), digest_size=8).hexdigest()


def month_body(*, manager: Manager, month: datetime.date, today: datetime.date, language: str,
               own: bool, render: Callable[[], str]) -> str:
    """The month page's body from the cache, or ``render()``-ed and kept."""
    key = ":".join([
        f"earnings-month-v{KEY_VERSION}", _template_digest(), str(manager.pk), f"{month:%Y-%m}",
        today.isoformat(), language, "own" if own else "other",
        hashlib.blake2b(str(manager).encode(), digest_size=8).hexdigest(),
        settings.SALESOPS_CURRENCY, month_fingerprint(manager=manager, month=month),
    ])
    body = cache.get(key)
    if body is None:
        body = render()
        cache.set(key, body, TTL_S)
    return body
