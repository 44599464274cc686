"""What the vendor pages show, read from what pay computed (statements, balance entries)."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, OuterRef, Subquery

from payouts.engine.facts import EFFECTIVE_OUTCOMES
from payouts.models import ComponentKind
from salesops.inputs.membership import organisation_today
from salesops.models import CallLog, Manager

from .balance import BalanceState, balance_state
from .computation import Period, version_in_force
from .export import line_label
from .models import Vendor, VendorStatement, VendorStatementLine
from .statements import contract_in_force

KINDS = dict(ComponentKind.choices)


@dataclass
class VendorRow:
    vendor: Vendor
    operators: int
    last_statement: VendorStatement | None


def vendor_rows() -> list[VendorRow]:
    latest = VendorStatement.objects.filter(vendor=OuterRef("pk")).order_by("-month")
    vendors = list(Vendor.objects.select_related("team").annotate(
        people=Count("team__members", distinct=True),
        last_statement_id=Subquery(latest.values("pk")[:1])).order_by("name"))
    last = VendorStatement.objects.in_bulk([v.last_statement_id for v in vendors
                                            if v.last_statement_id])
    return [VendorRow(v, v.people, last.get(v.last_statement_id)) for v in vendors]


@dataclass
class VendorPage:
    contract: object
    components: list[tuple[str, Decimal, list]]
    operators: list[Manager]
    statements: list[VendorStatement]
    balance: BalanceState | None
    entries: list
    pilots: list


def vendor_page(vendor: Vendor) -> VendorPage:
    today = organisation_today()
    month = today.replace(day=1)
    contract = contract_in_force(vendor, month)
    components = []
    if contract is not None and (version := version_in_force(contract.plan_id, month)):
        for c in version.components.all():
            components.append((KINDS.get(c.kind, c.kind), c.rate,
                               [(r.get_outcome_display(), r.rate) for r in c.rates.all()]))
    return VendorPage(
        contract=contract, components=components,
        operators=list(Manager.objects.filter(team=vendor.team).select_related("user")),
        statements=list(vendor.statements.order_by("-month")),
        balance=balance_state(vendor, today=today) if vendor.prepaid else None,
        entries=list(vendor.balance.order_by("-at", "-pk")[:20]),
        pilots=list(vendor.pilots.order_by("-starts_on")),
    )


@dataclass
class StatementLine:
    line: VendorStatementLine
    label: str
    leads: list[int]
    calls: int | None


def statement_lines(statement: VendorStatement) -> list[StatementLine]:
    """Each line with the leads it paid and, for a line counted from calls, how many calls."""
    period = Period.month(statement.month)
    start, end = period.instants()
    rows = []
    for line in statement.lines.prefetch_related("sources__milestone"):
        source = (line.explanation or {}).get("source") or {}
        calls = None
        if source.get("model") == "calllog" and not line.adjusts_month:
            found = CallLog.objects.filter(manager__team=statement.vendor.team,
                                           started_at__gte=start, started_at__lt=end,
                                           pk__lte=source.get("max_id", 0))
            if "outcome" in source:
                found = found.filter(outcome=source["outcome"])
            if "talk_s_gte" in source:
                found = found.filter(talk_s__gte=source["talk_s_gte"])
            if source.get("effective"):
                found = found.filter(outcome__in=EFFECTIVE_OUTCOMES)
            calls = found.count()
        rows.append(StatementLine(line, line_label(line),
                                  [s.milestone.lead_id for s in line.sources.all()], calls))
    return rows

