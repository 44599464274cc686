"""``python manage.py compare_plans YYYY-MM --plan CODE --plan CODE [--team CODE | --vendor
CODE] --format json|xlsx --output PATH``: a what-if that writes no run and no statement."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payouts.vendors.compare import CompareError, compare_plans
from payouts.vendors.reports import comparison_json, comparison_xlsx
from salesops.periods import parse_month


class Command(BaseCommand):
    help = "Apply plans or contracts to a past month side by side (README: What-if)."

    def add_arguments(self, parser):
        parser.add_argument("month")
        parser.add_argument("--plan", action="append", required=True, dest="plans")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--team")
        scope.add_argument("--vendor")
        parser.add_argument("--format", choices=["json", "xlsx"], default="json")
        parser.add_argument("--output", required=True)

    def handle(self, *args, month, plans, team, vendor, format, output, **options):
        try:
            first = parse_month(month)
        except ValueError:
            raise CommandError("The month is written YYYY-MM.") from None
        try:
            comparison = compare_plans(month=first, plan_codes=plans, team=team, vendor=vendor)
        except CompareError as error:
            raise CommandError(str(error)) from None
        path = Path(output)
        if format == "json":
            path.write_text(comparison_json(comparison), encoding="utf-8")
        else:
            path.write_bytes(comparison_xlsx(comparison))
        totals = ", ".join(f"{p.code} {p.total}" for p in comparison.plans)
        self.stdout.write(f"{first:%Y-%m} {comparison.scope}: {totals}; written to {path}")
