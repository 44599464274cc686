"""The one write layer for every input of pay (SPEC §5, §6.5, §7), below every app that
writes one: each write changes its row, refuses (or admits as a correction) a change to a
locked month, marks the person-months it feeds as changed and writes the audit row, in one
transaction. See ``record`` for the rule, ``activity`` and ``membership`` for the sales floor's
inputs; leads and payouts write theirs through ``pay_input_recorded``.
"""

from .audit import audit_record
from .changes import (
    inputs_versions,
    mark_days,
    mark_months,
    mark_pairs,
    on_open_month_change,
)
from .guard import PayInputBypass, door, pay_input_writer, pay_input_writing
from .locks import LockedShare, locked_days, period_lock
from .record import Lock, MonthLocked, pay_input_recorded, pay_inputs_recorded_in_bulk

__all__ = [
    "Lock", "LockedShare", "MonthLocked", "PayInputBypass", "audit_record", "door",
    "inputs_versions", "locked_days", "mark_days", "mark_months", "mark_pairs",
    "on_open_month_change", "pay_input_recorded", "pay_input_writer", "pay_input_writing",
    "pay_inputs_recorded_in_bulk",
    "period_lock",
]
