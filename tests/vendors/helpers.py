"""A vendor with two operators and a month of work, hand-countable (issue 19).

November 2026, the vendor "Dozvon" (operators Olga and Pavel):

| call | who   | duration | talk | wrap-up | outcome        |
|------|-------|----------|------|---------|----------------|
| c1   | Olga  | 61 s     | 40 s | 0       | consent        |
| c2   | Olga  | 125 s    | 10 s | 5 s     | answered       |
| c3   | Pavel | 30 s     | 20 s | 0       | presentation   |
| c4   | Pavel | 200 s    | 180 s| 0       | decision maker |

Operator seconds 61 + 130 + 30 + 200 = 421; rounded up per call 2 + 3 + 1 + 4 = 10 minutes.
Shifts: Olga 8 h, Pavel 4 h 30 min = 12.5 h. Leads: Olga's L1, L2 and Pavel's L3 confirmed in
November, L3 also arrived; Olga's L0 confirmed in October. A staff manager's call in another
team is not the vendor's.
"""

import datetime
from decimal import Decimal

from leads.models import MilestoneKind
from payouts.vendors.services import vendor_contract_set, vendor_create, vendor_operator_create
from salesops.models import Outcome
from tests.factories import (
    CallFactory,
    LeadFactory,
    LeadMilestoneFactory,
    ManagerFactory,
    WorkShiftFactory,
)
from tests.payouts.factories import (
    CompensationPlanFactory,
    ComponentRateFactory,
    PlanComponentFactory,
    PlanVersionFactory,
)
from tests.payouts.helpers import NOVEMBER, moscow

OCTOBER = datetime.date(2026, 10, 1)


def contract(vendor, *components, threshold_s=15, rounding="exact", code=None):
    """A plan of ``components`` ((kind, rate) or (kind, rate, {outcome: rate})) made the
    vendor's contract from January 2026; returns the version."""
    plan = CompensationPlanFactory(**({"code": code} if code else {}))
    version = PlanVersionFactory(plan=plan, effective_from=datetime.date(2026, 1, 1),
                                 conversation_threshold_s=threshold_s, minute_rounding=rounding)
    for spec in components:
        kind, rate, *rest = spec
        component = PlanComponentFactory(version=version, kind=kind, rate=Decimal(rate))
        for outcome, value in (rest[0] if rest else {}).items():
            ComponentRateFactory(component=component, outcome=outcome, rate=Decimal(value))
    if vendor is not None:
        vendor_contract_set(vendor=vendor, plan=plan, effective_from=datetime.date(2026, 1, 1))
    return version


def vendor_world(**vendor_fields):
    vendor = vendor_create(code="dozvon", name="Dozvon", **vendor_fields)
    start = datetime.date(2026, 1, 1)
    olga = vendor_operator_create(vendor=vendor, username="olga", active_from=start,
                                  extension="701")
    pavel = vendor_operator_create(vendor=vendor, username="pavel", active_from=start,
                                   extension="702")
    calls = {
        "c1": CallFactory(manager=olga, started_at=moscow(2026, 11, 3, 10, 0), duration_s=61,
                          talk_s=40, outcome=Outcome.CONSENT,
                          recording_url="https://rec.example/c1.mp3"),
        "c2": CallFactory(manager=olga, started_at=moscow(2026, 11, 3, 11, 0), duration_s=125,
                          talk_s=10, wrapup_s=5, outcome=Outcome.ANSWERED),
        "c3": CallFactory(manager=pavel, started_at=moscow(2026, 11, 4, 10, 0), duration_s=30,
                          talk_s=20, outcome=Outcome.PRESENTATION,
                          recording_url="https://rec.example/c3.mp3"),
        "c4": CallFactory(manager=pavel, started_at=moscow(2026, 11, 5, 10, 0), duration_s=200,
                          talk_s=180, outcome=Outcome.DECISION_MAKER,
                          recording_url="https://rec.example/c4.mp3"),
    }
    CallFactory(manager=ManagerFactory(), started_at=moscow(2026, 11, 3, 10, 0),
                duration_s=600, talk_s=500, outcome=Outcome.CONSENT)
    WorkShiftFactory(manager=olga, started_at=moscow(2026, 11, 3, 9, 0),
                     ended_at=moscow(2026, 11, 3, 17, 0))
    WorkShiftFactory(manager=pavel, started_at=moscow(2026, 11, 4, 9, 0),
                     ended_at=moscow(2026, 11, 4, 13, 30))
    leads = {name: LeadFactory(owner=owner, created_at=moscow(2026, 10, 1, 9, 0))
             for name, owner in (("L0", olga), ("L1", olga), ("L2", olga), ("L3", pavel))}
    LeadMilestoneFactory(lead=leads["L0"], kind=MilestoneKind.CONFIRMED,
                         at=moscow(2026, 10, 20, 12, 0))
    for name, day in (("L1", 3), ("L2", 4), ("L3", 5)):
        LeadMilestoneFactory(lead=leads[name], kind=MilestoneKind.CONFIRMED,
                             at=moscow(2026, 11, day, 12, 0))
    LeadMilestoneFactory(lead=leads["L3"], kind=MilestoneKind.ARRIVED,
                         at=moscow(2026, 11, 20, 12, 0))
    return vendor, {"olga": olga, "pavel": pavel, **calls, **leads}


__all__ = ["NOVEMBER", "OCTOBER", "contract", "vendor_world"]
