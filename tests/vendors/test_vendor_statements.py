"""A vendor's statement: draft → final → paid, late data as adjustments on the next draft,
a fake lead clawed back once, PDF and XLSX (issue 19). Figures of ``helpers``."""

import io
from decimal import Decimal

import pytest
import time_machine
from openpyxl import load_workbook
from pypdf import PdfReader

from leads.models import MilestoneKind
from leads.services import lead_milestone_set
from payouts.models import ComponentKind as K
from payouts.vendors.export import statement_pdf, statement_xlsx
from payouts.vendors.models import VendorStatement
from payouts.vendors.statements import (
    VendorStatementError,
    vendor_statement_compute,
    vendor_statement_finalise,
    vendor_statement_mark_paid,
)
from salesops.inputs import activity
from salesops.inputs.guard import pay_input_writing
from salesops.models import AuditEntry, Outcome
from tests.factories import CallFactory, UserFactory
from tests.payouts.helpers import DECEMBER, moscow

from .helpers import NOVEMBER, contract, vendor_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    vendor, world = vendor_world()
    contract(vendor, (K.PER_MINUTE, "3.50"), (K.PER_CONFIRMED_LEAD, "1000.00"))
    return vendor, world, vendor_statement_compute(vendor=vendor, month=NOVEMBER)


def test_a_statement_goes_draft_final_paid_and_is_audited(month):
    _vendor, _world, statement = month
    owner = UserFactory()
    vendor_statement_finalise(statement=statement, by=owner)
    vendor_statement_mark_paid(statement=statement, by=owner)
    statement.refresh_from_db()
    assert statement.status == VendorStatement.Status.PAID
    assert list(AuditEntry.objects.filter(object_type="vendors.vendorstatement")
                .order_by("pk").values_list("action", flat=True)) == [
        "vendor_statement_final", "vendor_statement_paid"]


def test_a_final_statement_is_never_computed_again(month):
    vendor, _world, statement = month
    vendor_statement_finalise(statement=statement, by=UserFactory())
    with pytest.raises(VendorStatementError):
        vendor_statement_compute(vendor=vendor, month=NOVEMBER)


def test_a_month_not_ended_does_not_become_final(month):
    vendor, _world, _statement = month
    december = vendor_statement_compute(vendor=vendor, month=DECEMBER)
    with pytest.raises(VendorStatementError):
        vendor_statement_finalise(statement=december, by=UserFactory())


def test_paid_needs_final_first(month):
    _vendor, _world, statement = month
    with pytest.raises(VendorStatementError):
        vendor_statement_mark_paid(statement=statement, by=UserFactory())


def test_a_late_call_of_a_final_month_is_an_adjustment_on_the_next_draft(month):
    """A late November call of 120 s: 120 × 3.50 / 60 = 7.00 more for November, paid in
    December as ``adj:2026-11:`` (24.56 → 31.56)."""
    vendor, world, statement = month
    vendor_statement_finalise(statement=statement, by=UserFactory())
    activity.call_save(call=CallFactory.build(
        manager=world["olga"], started_at=moscow(2026, 11, 28, 10, 0), duration_s=120,
        talk_s=5, outcome=Outcome.ANSWERED))
    december = vendor_statement_compute(vendor=vendor, month=DECEMBER)
    lines = {(line.kind, line.key): (line.amount, line.adjusts_month)
             for line in december.lines.all()}
    assert lines == {("per_minute", "adj:2026-11:"): (Decimal("7.00"), NOVEMBER)}
    # Computed again, the adjustment is the same, not doubled.
    december = vendor_statement_compute(vendor=vendor, month=DECEMBER)
    assert december.total == Decimal("7.00")


def test_a_paid_lead_marked_fake_later_is_clawed_back_once(month):
    """L1 paid 1000.00 in November, marked fake on 10 December (within 60 days): −1000.00 on
    December's draft; January does not claw it back again."""
    vendor, world, statement = month
    vendor_statement_finalise(statement=statement, by=UserFactory())
    with pay_input_writing():
        lead_milestone_set(lead=world["L1"], kind=MilestoneKind.FAKE,
                           at=moscow(2026, 12, 10, 10, 0))
    december = vendor_statement_compute(vendor=vendor, month=DECEMBER)
    clawback = december.lines.get(key="clawback:earlier")
    assert (clawback.kind, clawback.amount) == ("per_confirmed_lead", Decimal("-1000.00"))
    assert [s.milestone.lead_id for s in clawback.sources.all()] == [world["L1"].pk]
    with time_machine.travel(moscow(2027, 1, 5, 12, 0), tick=False):
        vendor_statement_finalise(statement=december, by=UserFactory())
        january = vendor_statement_compute(vendor=vendor, month=moscow(2027, 1, 1, 0, 0).date())
    assert not january.lines.filter(key="clawback:earlier").exists()


def test_the_statement_as_pdf_and_xlsx_holds_its_lines_and_total(month):
    _vendor, _world, statement = month
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(
        statement_pdf(statement))).pages)
    assert "3 024,56" in text or "3,024.56" in text
    book = load_workbook(io.BytesIO(statement_xlsx(statement)))
    values = [row for row in book.active.iter_rows(values_only=True)]
    assert values[-1][3] == Decimal("3024.56") or values[-1][3] == 3024.56
    amounts = sorted(row[3] for row in values[4:-2])
    assert amounts == [24.56, 3000]


def test_no_draft_of_its_own_for_a_month_before_a_final_one(month):
    """November is final: October's calls are late data for December, never an October draft
    (which would pay them a second time)."""
    from .helpers import OCTOBER

    vendor, _world, statement = month
    vendor_statement_finalise(statement=statement, by=UserFactory())
    with pytest.raises(VendorStatementError):
        vendor_statement_compute(vendor=vendor, month=OCTOBER)
    assert not VendorStatement.objects.filter(vendor=vendor, month=OCTOBER).exists()


def test_a_final_month_whose_inputs_did_not_change_is_not_gathered_again(month, monkeypatch):
    """December's draft reads November again only once something November paid from
    changed (a late call through the write layer)."""
    from payouts.vendors import statements

    vendor, world, statement = month
    vendor_statement_finalise(statement=statement, by=UserFactory())
    read = []
    original = statements.vendor_month_lines
    monkeypatch.setattr(statements, "vendor_month_lines",
                        lambda **kw: read.append(kw["month"]) or original(**kw))
    vendor_statement_compute(vendor=vendor, month=DECEMBER)
    assert read == [DECEMBER]
    activity.call_save(call=CallFactory.build(
        manager=world["pavel"], started_at=moscow(2026, 11, 27, 10, 0), duration_s=60,
        talk_s=5, outcome=Outcome.ANSWERED))
    read.clear()
    december = vendor_statement_compute(vendor=vendor, month=DECEMBER)
    assert read == [DECEMBER, NOVEMBER]
    assert december.total == Decimal("3.50")
