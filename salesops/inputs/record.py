"""The one step every write of a pay input takes (SPEC §5, §6.5, §7), in the writer's own
transaction: refuse (or admit as a correction) a change to a locked month, mark the
person-months it feeds as changed, and write the audit row.

A pay input is anything pay is computed from: calls, shifts, monthly targets, team membership,
leads and their owner, milestones, payments, commission exceptions and duplicate decisions.
Its writers (this package's ``activity`` and ``membership``, ``leads.services``,
``payouts.exceptions``) change the row and call ``pay_input_recorded`` with what it was, what it
is, and the (person, day) pairs it feeds before and after.

What a locked month admits (``Lock``):
- ``NEW`` — late data: a row that did not exist (a late call, payment or milestone, a
  decision). The locked month stays as approved; its next open month pays the difference as an
  adjustment (SPEC §6.5).
- ``REFUSE`` — a change to or removal of a row a locked month counted (a call edited in the
  admin): refused with ``MonthLocked``; a re-import makes it an import conflict instead.
- ``CORRECTION`` — a change the rules allow only as a correction (a target of an approved
  month, SPEC §6.5): with a reason, by someone allowed to correct, audited, paid as an
  adjustment; refused otherwise.
"""

import datetime
import enum
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from salesops.formatting import format_month

from .audit import audit_record
from .changes import mark_days
from .locks import LockedShare, locked_days


class Lock(enum.Enum):
    NEW = "new"
    REFUSE = "refuse"
    CORRECTION = "correction"


class MonthLocked(ValidationError):
    """The write would change what an approved or paid month paid (SPEC §6.5, §7)."""

    def __init__(self, message: str, *, shares: list[LockedShare]):
        super().__init__(message, code="month_locked")
        self.shares = shares


def locked_message(shares: list[LockedShare]) -> str:
    months = ", ".join(sorted({f"{format_month(s.month)} ({s.team})" for s in shares}))
    return _("%(months)s is approved: it is locked, and its figures change only as a "
             "correction paid in the next open month.") % {"months": months}


def pay_input_recorded(
    *, action: str, obj, by, before: dict, after: dict,
    days: Iterable[tuple[int, datetime.date]], lock: Lock = Lock.REFUSE, reason: str = "",
    may_correct: bool = False,
) -> None:
    """Refuse or admit the write by the locked months among ``days`` (person, day in the
    organisation's calendar), mark their months changed, and audit it. Call inside the
    writer's transaction, after writing the row: a refusal rolls the write back."""
    days = {(pk, day) for pk, day in days if pk and day}
    locked = list(locked_days(days).values())
    reason = (reason or "").strip()
    if locked and lock is Lock.REFUSE:
        raise MonthLocked(locked_message(locked), shares=locked)
    if locked and lock is Lock.CORRECTION:
        if not reason:
            raise MonthLocked(
                locked_message(locked) + " " + _("Give the reason for the correction."),
                shares=locked)
        if not may_correct:
            raise MonthLocked(
                locked_message(locked) + " " + _("Only those who may correct it can."),
                shares=locked)
    mark_days(days=days)
    audit_record(action=action, obj=obj, by=by, before=before, after=after, comment=reason)


def pay_inputs_recorded_in_bulk(
    *, action: str, obj, by, days: Iterable[tuple[int, datetime.date]], after: dict,
    reason: str = "",
) -> None:
    """The record of a set-based writer (the call importer's batch run, its rollback, the
    demo): the months of ``days`` (person, day) are marked changed and ONE audit row says what
    was written, with the months and the people it touched. Such a writer decides locked months
    row by row in its own statements (the importer turns a change of a locked month's call into
    an import conflict; a new call is late data, admitted)."""
    days = {(pk, day) for pk, day in days if pk and day}
    mark_days(days=days)
    audit_record(
        action=action, obj=obj, by=by, before={},
        after={**after,
               "months": sorted({day.strftime("%Y-%m") for _pk, day in days}),
               "people": sorted({pk for pk, _day in days})},
        comment=reason,
    )
