from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from payouts.export import PayrollNotFinal, payouts_export
from salesops import policy
from salesops.models import Team
from salesops.periods import parse_month


class Command(BaseCommand):
    help = ("Write the payroll export of an approved month: one row per person, CSV or XLSX, "
            "in the organisation's language unless --language says otherwise.")

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--team", help="team code; every team when omitted")
        parser.add_argument("--language", help="the reader's language (ru or en): headers, "
                            "and for ru a CSV with ';' and a decimal comma")
        parser.add_argument("--by", help="login of the person exporting: checked against the "
                            "access policy and recorded in the month's history")

    def handle(self, *args, month, output, team=None, language=None, by=None, **options):
        try:
            first = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        team_obj = None
        if team:
            team_obj = Team.objects.filter(code=team).first()
            if team_obj is None:
                raise CommandError(f"no team {team!r}")
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"no login {by!r}")
        try:
            count = payouts_export(month=first, path=output, file_format=options["format"],
                                   team=team_obj, language=language or settings.LANGUAGE_CODE,
                                   by=user)
        except (PayrollNotFinal, policy.AccessDenied) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{count} people written to {output}")
