"""What one lead's pay becomes under a decision: a commission exception (SPEC §5) or a
duplicate flag (SPEC §6.3). Pure functions over the figures, like ``components``.

- pending exception or pending duplicate: the amount is computed as usual but **held** — shown,
  not paid, and not written to the ledger, so it is paid once the decision is made;
- a duplicate resolved as "keep first touch" (or merged away) earns nothing per lead;
- an approved exception pays its own line ``exception:<id>``: another rate, a fixed amount
  (once in the lead's life), or nothing (exclusion), and the lead's items go to the ledger.
"""

from decimal import Decimal

from leads.models import DuplicateState

from ..models import ExceptionKind, ExceptionStatus

PAY, HOLD, SKIP, EXCEPTION = "pay", "hold", "skip", "exception"


def lead_treatment(facts: dict, *, component_kind: str, lead_id: int, duplicate: str):
    """(treatment, detail) for one lead's items in one component."""
    exception = facts.get("exceptions", {}).get(f"{component_kind}:{lead_id}")
    if exception is not None:
        if exception["status"] == ExceptionStatus.PENDING:
            return HOLD, {"exception": exception["id"]}
        return EXCEPTION, exception
    if duplicate == DuplicateState.PENDING:
        return HOLD, {"duplicate": True}
    if duplicate in (DuplicateState.KEEP_FIRST, DuplicateState.MERGED):
        return SKIP, {"duplicate": duplicate}
    return PAY, None


def exception_amount(exception: dict, *, base: Decimal, percent: bool) -> tuple[Decimal, Decimal]:
    """(rate shown, exact amount) an approved exception pays for ``base``: revenue for a
    percent component, a count of leads for a per-lead one."""
    kind = exception["kind"]
    if kind == ExceptionKind.RATE:
        rate = Decimal(exception["rate"])
        return rate, base * rate / (Decimal("100") if percent else Decimal("1"))
    if kind == ExceptionKind.FIXED and not exception["fixed_paid"]:
        return Decimal(exception["amount"]), Decimal(exception["amount"])
    return Decimal("0"), Decimal("0")
