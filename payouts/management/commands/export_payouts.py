from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payouts.export import PayrollNotFinal, payouts_export
from salesops.models import Team
from salesops.periods import parse_month


class Command(BaseCommand):
    help = ("Write the payroll export of an approved month: one row per person, CSV or XLSX "
            "(SPEC §7).")

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--team", help="team code; every team when omitted")

    def handle(self, *args, month, output, team=None, **options):
        try:
            first = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        team_obj = None
        if team:
            team_obj = Team.objects.filter(code=team).first()
            if team_obj is None:
                raise CommandError(f"no team {team!r}")
        try:
            count = payouts_export(month=first, path=output, file_format=options["format"],
                                   team=team_obj)
        except PayrollNotFinal as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{count} people written to {output}")
