"""A vendor's monthly statement: draft → final → paid, like a partner's (issue 19).

``vendor_statement_compute`` (re)builds a draft from the month's figures through the engine
(``computation``), with the contract's plan version in force on the first of the month. A final
or paid statement is never computed again: late data for its month lands on the vendor's next
draft as adjustment lines (``adj:YYYY-MM:<key>``, ``adjusts_month``), the difference between
what the month would pay now and what its statement and earlier adjustments paid (SPEC §6.5).
A lead a final statement paid and later marked fake within the contract's window is clawed
back on the draft of the month the fake mark came in (SPEC §6.6), once (the sources keep it).
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from leads.models import MilestoneKind
from leads.selectors import milestones_in_force
from payouts.engine.figures import MILESTONE_COMPONENTS
from payouts.models import LineItemSource
from salesops.inputs import audit_record, inputs_versions
from salesops.periods import current_month

from .computation import Period, gather_people, lines_for, team_shares, version_in_force, whole
from .models import (
    Vendor,
    VendorContract,
    VendorStatement,
    VendorStatementLine,
    VendorStatementSource,
)

ZERO = Decimal("0")
Status = VendorStatement.Status
LOCKED = (Status.FINAL, Status.PAID)
# How far back a draft looks for late data of final months.
ADJUSTED_MONTHS = 12
# Clawbacks of leads earlier statements paid: not part of the month's own pay, never adjusted.
CLAWBACK_KEY = "clawback:earlier"


class VendorStatementError(Exception):
    """The statement cannot do what was asked (locked, not ended, no contract)."""


def contract_in_force(vendor: Vendor, month: datetime.date) -> VendorContract | None:
    return (vendor.contracts.filter(effective_from__lte=month)
            .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=month))
            .order_by("-effective_from").first())


def vendor_month_lines(*, vendor: Vendor, month: datetime.date, version=None):
    """(version, figures, lines) of the vendor's month as it would pay now."""
    if version is None:
        contract = contract_in_force(vendor, month)
        if contract is None:
            raise VendorStatementError(
                _("%(vendor)s has no contract in force in %(month)s.")
                % {"vendor": vendor, "month": f"{month:%m.%Y}"})
        version = version_in_force(contract.plan_id, month)
        if version is None:
            raise VendorStatementError(_("The contract's plan has no version for that month."))
    threshold = version.conversation_threshold_s
    people = gather_people(team_id=vendor.team_id, period=Period.month(month),
                           versions=[version], threshold_s=threshold)
    facts = whole(people, threshold_s=threshold)
    return version, facts, lines_for(version, facts)


@transaction.atomic
def vendor_statement_compute(*, vendor: Vendor, month: datetime.date,
                             by=None) -> VendorStatement:
    statement, _created = VendorStatement.objects.select_for_update().get_or_create(
        vendor=vendor, month=month)
    if statement.is_locked:
        raise VendorStatementError(
            _("The statement of %(month)s is %(status)s: late data goes to the next draft.")
            % {"month": f"{month:%m.%Y}", "status": statement.get_status_display()})
    if vendor.statements.filter(status__in=LOCKED, month__gt=month).exists():
        # A month before a final one is closed with it: its late data is adjusted on the
        # next draft, never paid by a draft of its own (which would pay it twice).
        raise VendorStatementError(
            _("A later month of this vendor is final: late data for %(month)s goes to the "
              "next draft.") % {"month": f"{month:%m.%Y}"})
    # Read before the figures are gathered: a change committed meanwhile raises it later.
    statement.inputs_version = inputs_version(vendor=vendor, month=month)
    version, facts, drafts = vendor_month_lines(vendor=vendor, month=month)
    statement.lines.all().delete()
    for draft in drafts:
        line = VendorStatementLine.objects.create(
            statement=statement, kind=draft.kind, key=draft.key, quantity=draft.quantity,
            rate=draft.rate, amount=draft.amount, held=draft.held,
            explanation=draft.explanation)
        VendorStatementSource.objects.bulk_create([
            VendorStatementSource(line=line, milestone_id=s.source_id, quantity=s.quantity,
                                  amount=s.amount)
            for s in draft.sources if s.source == LineItemSource.MILESTONE])
    _late_lines(statement=statement)
    _clawback_lines(statement=statement, clawback_days=version.clawback_days)
    statement.plan_version = version
    statement.facts = facts.to_json()
    statement.total = sum((line.amount for line in statement.lines.filter(held=False)), ZERO)
    statement.computed_at = timezone.now()
    statement.save()
    if vendor.prepaid:
        from .balance import vendor_balance_write_off

        vendor_balance_write_off(vendor=vendor, month=month, lines=drafts)
    return statement


def _late_lines(*, statement: VendorStatement) -> None:
    """For each final month before this one: what it would pay now less what was paid."""
    earlier = list(statement.vendor.statements.filter(
        status__in=LOCKED, month__lt=statement.month).order_by("-month")[:ADJUSTED_MONTHS])
    for locked in reversed(earlier):
        now_version = inputs_version(vendor=statement.vendor, month=locked.month)
        if locked.inputs_version is not None and now_version == locked.inputs_version:
            continue  # nothing it was paid from changed: nothing to adjust, nothing gathered
        _version, _facts, now_lines = vendor_month_lines(
            vendor=statement.vendor, month=locked.month, version=locked.plan_version)
        now = {(d.kind, d.key): d for d in now_lines if not d.held}
        paid = defaultdict(lambda: [ZERO, ZERO])
        for kind, key, quantity, amount in locked.lines.filter(
                held=False, adjusts_month__isnull=True).exclude(key=CLAWBACK_KEY).values_list(
                "kind", "key", "quantity", "amount"):
            paid[(kind, key)][0] += quantity
            paid[(kind, key)][1] += amount
        prefix = f"adj:{locked.month:%Y-%m}:"
        for kind, key, quantity, amount in VendorStatementLine.objects.filter(
                statement__vendor=statement.vendor, adjusts_month=locked.month,
                key__startswith=prefix, held=False).exclude(statement=statement).values_list(
                "kind", "key", "quantity", "amount"):
            paid[(kind, key.removeprefix(prefix))][0] += quantity
            paid[(kind, key.removeprefix(prefix))][1] += amount
        for kind, key in sorted(set(now) | set(paid)):
            current = now.get((kind, key))
            was_quantity, was_amount = paid.get((kind, key), (ZERO, ZERO))
            quantity = (current.quantity if current else ZERO) - was_quantity
            amount = (current.amount if current else ZERO) - was_amount
            if not amount and not quantity:
                continue
            VendorStatementLine.objects.create(
                statement=statement, kind=kind, key=prefix + key, quantity=quantity,
                rate=current.rate if current else None, amount=amount,
                adjusts_month=locked.month,
                explanation={"rule": "late_data", "adjusts_month": locked.month,
                             "was": {"quantity": was_quantity, "amount": was_amount},
                             "now": {"quantity": current.quantity if current else ZERO,
                                     "amount": current.amount if current else ZERO}})


def inputs_version(*, vendor: Vendor, month: datetime.date) -> int:
    """The sum of the change versions of the vendor's people's inputs of ``month``."""
    people = {m for shares in team_shares(team_id=vendor.team_id,
                                          period=Period.month(month)).values()
              for m in shares}
    return sum(inputs_versions(manager_ids=people, months=[month]).values())


def _clawback_lines(*, statement: VendorStatement, clawback_days: int) -> None:
    """Leads an earlier statement paid, marked fake in this month within the window."""
    start, end = Period.month(statement.month).instants()
    paid = (VendorStatementSource.objects.filter(
        line__statement__vendor=statement.vendor, line__statement__month__lt=statement.month,
        line__held=False, amount__gt=0, line__kind__in=list(MILESTONE_COMPONENTS.values()))
        .values_list("line__kind", "milestone_id", "milestone__lead_id", "milestone__at",
                     "amount"))
    clawed = set(VendorStatementSource.objects.filter(
        line__statement__vendor=statement.vendor, amount__lt=0)
        .exclude(line__statement=statement).values_list("line__kind", "milestone__lead_id"))
    fakes = {lead: (pk, at) for lead, pk, at in milestones_in_force().filter(
        kind=MilestoneKind.FAKE, at__gte=start, at__lt=end,
        lead_id__in=[row[2] for row in paid]).order_by("-at").values_list("lead_id", "pk", "at")}
    window = datetime.timedelta(days=clawback_days)
    by_kind = defaultdict(list)
    for kind, _milestone, lead, paid_at, amount in paid:
        if lead in fakes and (kind, lead) not in clawed and \
                paid_at <= fakes[lead][1] <= paid_at + window:
            by_kind[kind].append((fakes[lead][0], amount))
    for kind, items in by_kind.items():
        line = VendorStatementLine.objects.create(
            statement=statement, kind=kind, key=CLAWBACK_KEY,
            quantity=Decimal(-len(items)), rate=None, amount=-sum(a for _m, a in items),
            explanation={"rule": "clawback", "window_days": clawback_days})
        VendorStatementSource.objects.bulk_create([
            VendorStatementSource(line=line, milestone_id=pk, quantity=Decimal("-1"),
                                  amount=-amount) for pk, amount in items])


@transaction.atomic
def vendor_statement_finalise(*, statement: VendorStatement, by) -> VendorStatement:
    statement = VendorStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.status != Status.DRAFT:
        raise VendorStatementError(_("Only a draft becomes final."))
    if statement.month >= current_month():
        raise VendorStatementError(_("A month becomes final once it has ended."))
    if statement.vendor.statements.filter(status=Status.DRAFT,
                                          month__lt=statement.month).exists():
        raise VendorStatementError(_("An earlier month of this vendor is still a draft."))
    statement.status, statement.finalised_at, statement.finalised_by = (
        Status.FINAL, timezone.now(), by)
    statement.save(update_fields=["status", "finalised_at", "finalised_by"])
    audit_record(action="vendor_statement_final", obj=statement, by=by,
                 before={"status": Status.DRAFT}, after={"status": Status.FINAL,
                                                         "total": statement.total})
    return statement


@transaction.atomic
def vendor_statement_mark_paid(*, statement: VendorStatement, by) -> VendorStatement:
    statement = VendorStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.status != Status.FINAL:
        raise VendorStatementError(_("Only a final statement is paid."))
    statement.status, statement.paid_at, statement.paid_by = Status.PAID, timezone.now(), by
    statement.save(update_fields=["status", "paid_at", "paid_by"])
    audit_record(action="vendor_statement_paid", obj=statement, by=by,
                 before={"status": Status.FINAL}, after={"status": Status.PAID,
                                                         "total": statement.total})
    return statement

