"""Writes of the sales floor's pay inputs, one row at a time: calls, shifts and monthly targets
(SPEC §2), for the admin's forms, its spreadsheet imports and any other door. Each write goes
through ``pay_input_recorded``: locked months are respected, the person-months are marked
changed, the write is audited. (The call importer writes millions of rows set-based and
records a whole batch at once: ``salesops.imports``.)

What a locked month admits (``record.Lock``): a new call or shift is late data (the next open
month pays it as an adjustment); changing or deleting one that an approved month counted is
refused (a re-import makes it an import conflict instead); a target of an approved month is
changed only as a correction with a reason, by someone allowed to correct targets (SPEC §6.5).
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from salesops import policy
from salesops.periods import month_start, organisation_zone

from .guard import pay_input_writer
from .record import Lock, pay_input_recorded

CALL_FIELDS = ("source", "external_id", "manager", "started_at", "duration_s", "talk_s",
               "wrapup_s", "direction", "phone", "outcome", "recording_url")
SHIFT_FIELDS = ("manager", "started_at", "ended_at")
TARGET_FIELDS = ("manager", "month", "target_conversations", "target_confirmed_leads",
                 "target_revenue")


def _day(instant: datetime.datetime) -> datetime.date:
    return timezone.localtime(instant, organisation_zone()).date()


def _state(obj, fields) -> dict:
    return model_to_dict(obj, fields=fields) if obj is not None and obj.pk else {}


def _stored(obj):
    return type(obj)._default_manager.select_for_update().filter(pk=obj.pk).first() \
        if obj.pk else None


def _require(by, action: str, resource: str, obj) -> None:
    if by is not None:
        policy.require(by, action, resource, obj)


@pay_input_writer
@transaction.atomic
def call_save(*, call, by=None, reason: str = ""):
    """Create ``call`` or save the changes made to it (an admin form)."""
    stored = _stored(call)
    _require(by, policy.CHANGE if stored else policy.CREATE, "calls", call)
    if stored is not None:
        _require(by, policy.CHANGE, "calls", stored)
    call.full_clean()
    call.save()
    days = {(call.manager_id, _day(call.started_at))}
    if stored is not None:
        days.add((stored.manager_id, _day(stored.started_at)))
    pay_input_recorded(
        action="call_changed" if stored else "call_added", obj=call, by=by,
        before=_state(stored, CALL_FIELDS), after=_state(call, CALL_FIELDS), days=days,
        lock=Lock.REFUSE if stored else Lock.NEW, reason=reason,
    )
    return call


@pay_input_writer
@transaction.atomic
def call_delete(*, call, by=None, reason: str = "") -> None:
    stored = _stored(call)
    if stored is None:
        return
    _require(by, policy.DELETE, "calls", stored)
    before = _state(stored, CALL_FIELDS)
    pk = stored.pk
    stored.delete()
    stored.pk = pk  # the audit row names the call that was
    pay_input_recorded(
        action="call_deleted", obj=stored, by=by, before=before, after={},
        days={(stored.manager_id, _day(stored.started_at))}, lock=Lock.REFUSE, reason=reason,
    )


@pay_input_writer
@transaction.atomic
def shift_save(*, shift, by=None, reason: str = ""):
    stored = _stored(shift)
    _require(by, policy.CHANGE if stored else policy.CREATE, "shifts", shift)
    if stored is not None:
        _require(by, policy.CHANGE, "shifts", stored)
    shift.full_clean()
    shift.save()
    days = {(shift.manager_id, _day(shift.started_at))}
    if stored is not None:
        days.add((stored.manager_id, _day(stored.started_at)))
    pay_input_recorded(
        action="shift_changed" if stored else "shift_added", obj=shift, by=by,
        before=_state(stored, SHIFT_FIELDS), after=_state(shift, SHIFT_FIELDS), days=days,
        lock=Lock.REFUSE if stored else Lock.NEW, reason=reason,
    )
    return shift


@pay_input_writer
@transaction.atomic
def shift_delete(*, shift, by=None, reason: str = "") -> None:
    stored = _stored(shift)
    if stored is None:
        return
    _require(by, policy.DELETE, "shifts", stored)
    before = _state(stored, SHIFT_FIELDS)
    pk = stored.pk
    stored.delete()
    stored.pk = pk
    pay_input_recorded(
        action="shift_deleted", obj=stored, by=by, before=before, after={},
        days={(stored.manager_id, _day(stored.started_at))}, lock=Lock.REFUSE, reason=reason,
    )


@pay_input_writer
@transaction.atomic
def target_set(
    *, manager, month: datetime.date, conversations: int, confirmed_leads: int,
    revenue: Decimal, by=None, reason: str = "",
):
    """Set ``manager``'s targets for ``month`` (SPEC §2 monthly plan). The targets of an
    approved month are part of it (SPEC §6.5): changed only as a correction with a reason, by
    someone allowed to correct targets (``policy.CORRECT`` on plans), paid as an adjustment."""
    from salesops.models import MonthlyPlan

    month = month_start(month)
    plan = (MonthlyPlan.objects.select_for_update().filter(manager=manager, month=month).first()
            or MonthlyPlan(manager=manager, month=month))
    before = _state(plan, TARGET_FIELDS)
    _require(by, policy.CHANGE if plan.pk else policy.CREATE, "plans", plan)
    plan.target_conversations = conversations
    plan.target_confirmed_leads = confirmed_leads
    plan.target_revenue = revenue
    plan.full_clean()
    after = model_to_dict(plan, fields=TARGET_FIELDS)
    if before and all(before[k] == after[k] for k in TARGET_FIELDS):
        return plan
    plan.save()
    pay_input_recorded(
        action="targets_set" if not before else "targets_changed", obj=plan, by=by,
        before=before, after=after, days={(manager.pk, month)}, lock=Lock.CORRECTION,
        reason=reason, may_correct=by is None or policy.may(by, policy.CORRECT, "plans", plan),
    )
    return plan


@pay_input_writer
@transaction.atomic
def target_delete(*, plan, by=None, reason: str = "") -> None:
    stored = _stored(plan)
    if stored is None:
        return
    _require(by, policy.DELETE, "plans", stored)
    before = _state(stored, TARGET_FIELDS)
    pk = stored.pk
    stored.delete()
    stored.pk = pk
    pay_input_recorded(
        action="targets_deleted", obj=stored, by=by, before=before, after={},
        days={(stored.manager_id, stored.month)}, lock=Lock.CORRECTION, reason=reason,
        may_correct=by is None or policy.may(by, policy.CORRECT, "plans", stored),
    )
