"""What a team month shows beside its figures: who is out of date since the computation (by
name, with why), and the run's history — every step with who took it, in words.

Reads only: the run's status changes, the audit rows written about the run (payroll exports)
and the cheap part of the staleness check (change marks, plan versions, the team's people;
never the month's calls).
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesops.models import AuditEntry, Manager, PayoutInputChange

from .. import staleness
from ..lifecycle import COMPUTE_REQUESTED
from ..models import PayoutRun
from ..staleness import StaleMember, payout_run_staleness

Status = PayoutRun.Status


@dataclass(frozen=True)
class StalePerson:
    manager_id: int
    name: str
    reason: str


@dataclass(frozen=True)
class Step:
    at: datetime.datetime
    who: str  # a person's name, or what acted without one ("scheduled task")
    by_person: bool
    text: str


def person_name(user) -> str:
    return user.get_full_name() or user.get_username()


def people_names(manager_ids) -> dict[int, str]:
    """Manager id → the person's name, for ids a page has no name for yet."""
    return {m.pk: person_name(m.user)
            for m in Manager.objects.filter(pk__in=list(manager_ids)).select_related("user")}


def run_stale_people(*, run: PayoutRun, names: dict[int, str]) -> list[StalePerson]:
    """The people of an open run whose pay would change if it were computed now, by name.

    The cheap check (what was marked changed, plans, who is in the team); the approval
    compares every figure again before it locks anything."""
    if run.is_locked:
        return []
    stale = run_staleness(run=run)
    missing = {s.manager_id for s in stale} - set(names)
    if missing:
        names = {**names, **people_names(missing)}
    return sorted((StalePerson(s.manager_id, names.get(s.manager_id, ""), str(s.reason))
                   for s in stale), key=lambda p: p.name)


# How long a page may show who changed since a computation. Any write of a pay input (an
# import, a decision, a payment) raises a change mark and so makes a new key at once, as do a
# new computation or status; a plan or a team edited in the admin (which marks nothing) shows
# within this time. Approval compares every figure again, whatever the page showed.
STALE_TTL_S = 60
_REASONS = (staleness.JOINED_OR_LEFT, staleness.PLAN_CHANGED, staleness.INPUTS_CHANGED,
            staleness.FIGURES_CHANGED, staleness.TEAM_CHANGED)


def changes_token() -> str:
    """What changed in pay inputs, as one short text: the change marks' count, versions, last
    time (``salesops.inputs.changes``: every write raises a version)."""
    marks = PayoutInputChange.objects.aggregate(n=Count("pk"), versions=Sum("version"),
                                                last=Max("changed_at"))
    text = f"{marks['n']}:{marks['versions']}:{marks['last']}"
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def run_staleness(*, run: PayoutRun, token: str | None = None) -> list[StaleMember]:
    """The cheap staleness check of an open run (change marks, plans, people), kept for a
    minute under a key that any change mark, computation or status makes new."""
    stamp = run.computed_at.timestamp() if run.computed_at else 0
    key = (f"review:stale:{run.pk}:{run.generation}:{run.status}:{stamp}:"
           f"{token or changes_token()}")
    kept = cache.get(key)
    if kept is None:
        stale = payout_run_staleness(run=run, figures=False)
        kept = [(s.manager_id, _REASONS.index(s.reason) if s.reason in _REASONS else str(s.reason))
                for s in stale]
        cache.set(key, kept, STALE_TTL_S)
    return [StaleMember(pk, _REASONS[reason] if isinstance(reason, int) else reason)
            for pk, reason in kept]


# The run's stored notes, said in the reader's language.
NOTES = {
    "recompute": gettext_lazy("everyone computed again"),
    "recompute changed people": gettext_lazy("the people whose inputs changed computed again"),
    "exported to payroll": "",  # "Marked paid" says it
}
SCHEDULED = gettext_lazy("scheduled task")
EXPORT_ACTIONS = {"payroll_exported"}


def run_history(*, run: PayoutRun) -> list[Step]:
    """Every step of the run in order: computations asked for and finished, approval, each
    payroll export and the payment, each with who took it. A computation that finished is
    credited to whoever asked for it (its workers act for them)."""
    steps = []
    asked_by = None
    for t in run.transitions.select_related("by").order_by("at", "pk"):
        who = person_name(t.by) if t.by else None
        if t.to_status == Status.DRAFT:
            asked_by = who
            text = (_("Computation started") if not t.from_status
                    else _("Computation started again"))
        elif t.to_status == Status.COMPUTED:
            who = who or asked_by
            text = _("Computed")
        elif t.to_status == Status.APPROVED:
            text = _("Approved: the month is locked")
        elif t.to_status == Status.PAID:
            text = _("Marked paid")
        else:
            text = str(dict(Status.choices).get(t.to_status, t.to_status))
        note = NOTES.get(t.note, t.note)
        if note:
            text += f" ({note})"
        steps.append(Step(t.at, who or str(SCHEDULED), who is not None, text))
    # A person's request to compute, recorded when asked (maker-checker names them).
    for entry in AuditEntry.objects.filter(
        object_type=run._meta.label_lower, object_id=run.pk, action=COMPUTE_REQUESTED,
    ).select_related("by"):
        who = person_name(entry.by) if entry.by else None
        steps.append(Step(entry.at, who or str(SCHEDULED), who is not None,
                          _("Computation requested")))
    exports = AuditEntry.objects.filter(
        object_type=run._meta.label_lower, object_id=run.pk, action__in=EXPORT_ACTIONS,
    ).select_related("by")
    for entry in exports:
        file_format = str(entry.after.get("format", "")).upper()
        text = (_("Payroll exported (%(format)s)") % {"format": file_format} if file_format
                else _("Payroll exported"))
        who = person_name(entry.by) if entry.by else None
        steps.append(Step(entry.at, who or str(SCHEDULED), who is not None, text))
    return sorted(steps, key=lambda step: step.at)
