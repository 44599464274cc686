"""``python manage.py pilot_report CODE [--margin 0.20] --format json|xlsx --output PATH``."""

from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payouts.vendors.models import Pilot
from payouts.vendors.pilots import pilot_report
from payouts.vendors.reports import pilot_json, pilot_xlsx


class Command(BaseCommand):
    help = "A pilot's funnel, cost and break-even per-result prices (README: Pilots)."

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("--margin", default="0")
        parser.add_argument("--format", choices=["json", "xlsx"], default="json")
        parser.add_argument("--output", required=True)

    def handle(self, *args, code, margin, format, output, **options):
        pilot = Pilot.objects.select_related("vendor", "team", "plan").filter(code=code).first()
        if pilot is None:
            raise CommandError(f"No pilot with the code {code!r}.")
        try:
            margin = Decimal(margin)
        except InvalidOperation:
            raise CommandError("--margin is a decimal fraction, e.g. 0.20") from None
        report = pilot_report(pilot=pilot, margin=margin)
        path = Path(output)
        if format == "json":
            path.write_text(pilot_json(report), encoding="utf-8")
        else:
            path.write_bytes(pilot_xlsx(report))
        self.stdout.write(f"{pilot.code}: cost {report.cost}, written to {path}")
