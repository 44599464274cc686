"""The command line: compute, export and approve a month (issue: command line)."""

import csv
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from payouts.models import ComponentKind, PayoutRun
from salesops.models import Role
from tests.factories import ManagerFactory, TeamFactory, UserFactory
from tests.payouts.factories import calls, plan_for
from tests.payouts.helpers import NOVEMBER, moscow

pytestmark = pytest.mark.django_db


@pytest.fixture
def floor():
    team = TeamFactory(code="north")
    anna = ManagerFactory(team=team, user__username="anna", user__first_name="Anna",
                          user__last_name="Petrova")
    plan_for(anna, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10"),
                    "cap": Decimal("30.00")},
             {"kind": ComponentKind.PER_MINUTE, "rate": Decimal("6")})
    calls(anna, 5, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=60)
    head = ManagerFactory(team=team, role=Role.SALES_HEAD, user__username="head.north")
    return team, anna, head


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_compute_payouts_computes_and_prints_a_summary(floor):
    output = _run("compute_payouts", "2026-11", "--team", "north")
    assert output == "north: 2026-11 computed, 2/2 managers, 3 lines, total 60.00\n"


def test_compute_payouts_summarises_every_team_and_says_which_months_are_locked(floor):
    from payouts.selectors import payout_runs_progress
    from payouts.services import payout_runs_start

    south = TeamFactory(code="south")
    boris = ManagerFactory(team=south)
    plan_for(boris, {"kind": ComponentKind.PER_CONVERSATION, "rate": Decimal("10")})
    calls(boris, 2, started_at=moscow(2026, 11, 5, 10, 0), talk_s=30, duration_s=60)
    _approved_november()
    calls(boris, 1, started_at=moscow(2026, 11, 6, 10, 0), talk_s=30, duration_s=60)
    assert _run("compute_payouts", "2026-11") == (
        "north: 2026-11 is locked, not recomputed\n"
        "south: 2026-11 computed, 1/1 managers, 1 lines, total 30.00\n"
    )
    started = payout_runs_start(month=NOVEMBER, teams=[south])[south.pk]
    north = PayoutRun.objects.get(team__code="north")
    assert payout_runs_progress(runs=[started, north]) == {started.pk: (0, 1),
                                                            north.pk: (2, 2)}


def test_compute_payouts_refuses_a_bad_month():
    with pytest.raises(CommandError, match="YYYY-MM"):
        _run("compute_payouts", "November")


def _approved_november():
    _run("compute_payouts", "2026-11")
    _run("approve_payouts", "2026-11", "--team", "north", "--by", "head.north")


def test_export_csv_has_one_row_per_manager_with_a_column_per_component(floor, tmp_path):
    _approved_november()
    path = tmp_path / "payroll.csv"
    _run("export_payouts", "2026-11", "--format", "csv", "--output", str(path))
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    assert len(rows) == 1
    row = rows[0]
    assert (row["Employee"], row["Login"], row["Team"], row["Month"]) == (
        "Anna Petrova", "anna", floor[0].name, "November 2026")
    assert (row["Per conversation"], row["Per operator minute"],
            row["Adjustments of earlier months"], row["Held"], row["Total payable"]) == (
        "30.00", "30.00", "0.00", "0.00", "60.00")


def test_export_xlsx_has_the_payroll_and_every_line(floor, tmp_path):
    _approved_november()
    path = tmp_path / "payroll.xlsx"
    _run("export_payouts", "2026-11", "--format", "xlsx", "--output", str(path))
    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["Payroll", "Lines"]
    payroll = list(book["Payroll"].values)
    assert payroll[0][:3] == ("Employee", "Login", "Team")
    assert payroll[0][-1] == "Total payable"
    # XLSX keeps numbers as binary; read them back through their text, never as floats.
    assert payroll[1][:3] == ("Anna Petrova", "anna", floor[0].name)
    assert Decimal(str(payroll[1][-1])) == Decimal("60.00")
    lines = list(book["Lines"].values)
    assert [(r[2], r[4], r[5] or "", Decimal(str(r[9]))) for r in lines[1:]] == [
        ("anna", "Per conversation", "", Decimal("50.00")),
        ("anna", "Per conversation", "cap", Decimal("-20.00")),
        ("anna", "Per operator minute", "", Decimal("30.00")),
    ]


def test_approve_payouts_follows_the_ui_rules(floor):
    team, anna, head = floor
    with pytest.raises(CommandError, match="compute it first"):
        _run("approve_payouts", "2026-11", "--team", "north", "--by", "head.north")
    _run("compute_payouts", "2026-11")
    with pytest.raises(CommandError, match="may not approve"):
        _run("approve_payouts", "2026-11", "--team", "north", "--by", "anna")
    UserFactory(username="stranger")
    with pytest.raises(CommandError, match="may not approve"):
        _run("approve_payouts", "2026-11", "--team", "north", "--by", "stranger")
    assert _run("approve_payouts", "2026-11", "--team", "north", "--by", "head.north") == (
        "north 2026-11 approved by head.north\n"
    )
    assert PayoutRun.objects.get(month=NOVEMBER, team=team).status == "approved"
