"""A vendor's operators' calls come in through the same importer as anyone's (issue 19): the
file names them by their extension, and the vendor's month pays them — and, on a prepaid
balance, writes them off once the import commits."""

from decimal import Decimal

import pytest

from payouts.models import ComponentKind as K
from payouts.vendors.balance import vendor_balance, vendor_balance_top_up
from payouts.vendors.statements import vendor_statement_compute
from salesops.imports.services import import_file
from tests.fixtures import hostile
from tests.payouts.helpers import DECEMBER

from .helpers import contract, vendor_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_an_imported_vendor_file_is_paid_and_written_off(tmp_path,
                                                         django_capture_on_commit_callbacks):
    """Two December calls of 90 s by Olga (701) and Pavel (702): 180 s × 3.50 / 60 = 10.50,
    written off the 1000.00 top-up as the import commits."""
    vendor, _world = vendor_world(prepaid=True)
    contract(vendor, (K.PER_MINUTE, "3.50"))
    vendor_balance_top_up(vendor=vendor, amount=Decimal("1000.00"), by=None)
    path = tmp_path / "kc-export.csv"
    path.write_text(hostile.csv_text([
        ["kc-1", "701", "2026-12-02 10:00:00", "90", "60", "+79160000001"],
        ["kc-2", "702", "2026-12-02 11:00:00", "90", "60", "+79160000002"],
    ]))
    with django_capture_on_commit_callbacks(execute=True):
        batch = import_file(path=path, source="kc-dozvon")
    assert batch.created_count == 2
    assert vendor_balance(vendor) == Decimal("989.50")
    december = vendor_statement_compute(vendor=vendor, month=DECEMBER)
    assert december.total == Decimal("10.50")
    assert vendor_balance(vendor) == Decimal("989.50")  # computed again: not twice
