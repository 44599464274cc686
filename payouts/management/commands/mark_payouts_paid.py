from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from payouts.lifecycle import PayoutRunError, payout_run_mark_paid
from payouts.models import PayoutRun
from salesops.periods import parse_month
from salesops.policy import AccessDenied


class Command(BaseCommand):
    help = "Mark a team's approved month paid once payroll has it: owner or admin."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--team", required=True, help="team code")
        parser.add_argument("--by", required=True, help="username of the owner or admin")

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
            raise CommandError(f"no payout run for {team} {first:%Y-%m}")
        try:
            payout_run_mark_paid(run=run, paid_by=user)
        except (AccessDenied, PayoutRunError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{team} {first:%Y-%m} marked paid by {by}")
