from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from payouts.lifecycle import PayoutRunError, payout_run_approve
from payouts.models import PayoutRun
from salesops.periods import parse_month


class Command(BaseCommand):
    help = "Approve a team's computed month, by the same rules as the screens (SPEC §7)."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--team", required=True, help="team code")
        parser.add_argument("--by", required=True, help="username of the approver")

    def handle(self, *args, month, team, by, **options):
        try:
            first = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        user = get_user_model().objects.filter(username=by, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {by!r}")
        run = PayoutRun.objects.filter(month=first, team__code=team).first()
        if run is None:
            raise CommandError(f"no payout run for {team} {first:%Y-%m}: compute it first")
        try:
            run = payout_run_approve(run=run, approved_by=user)
        except PayoutRunError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{team} {first:%Y-%m} approved by {by}")
