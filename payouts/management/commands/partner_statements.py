"""``python manage.py partner_statements 2026-11 --output statements.xlsx`` (SPEC §5)."""

from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payouts.partner_export import partner_statements_export
from payouts.partners import partner_statements_compute
from salesops.periods import parse_month


class Command(BaseCommand):
    help = "Compute every active partner's statement for a month and export it (CSV or XLSX)."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--output", required=True, help="a .csv or .xlsx path")

    def handle(self, *args, month, output, **options):
        try:
            first = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        path = Path(output)
        if path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("--output must end in .csv or .xlsx")
        statements = partner_statements_compute(month=first)
        partner_statements_export(month=first, path=path)
        payable = sum((s.payable for s in statements), Decimal("0.00"))
        self.stdout.write(f"{len(statements)} partner statements for {month}, "
                          f"payable {payable}, written to {path}")
