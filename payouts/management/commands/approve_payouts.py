from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Sum

from payouts.lifecycle import (
    PayoutRunError,
    PayoutRunStale,
    payout_run_approve,
    payout_run_record_request,
)
from payouts.models import PayoutRun
from payouts.tasks import recompute_payout_run_changes
from salesops.periods import parse_month


class Command(BaseCommand):
    help = "Approve a team's computed month, by the same rules as the screens."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--team", required=True, help="team code")
        parser.add_argument("--by", required=True, help="username of the approver")
        parser.add_argument(
            "--recompute", action="store_true",
            help="if the run is stale, recompute the people whose inputs changed and print the "
                 "new total; the recomputation is requested by --by, so someone else then "
                 "approves it (maker-checker, SPEC §1)",
        )

    def handle(self, *args, month, team, by, recompute=False, **options):
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
        except PayoutRunStale as stale:
            if not recompute:
                raise CommandError(f"{stale} Run again with --recompute to do both.") from stale
            self._recompute(run, [member.manager_id for member in stale.members], user)
            try:
                run = payout_run_approve(run=run, approved_by=user)
            except PayoutRunError as error:
                raise CommandError(str(error)) from error
        except PayoutRunError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{team} {first:%Y-%m} approved by {by}")

    def _recompute(self, run: PayoutRun, manager_ids: list[int], user) -> None:
        before = run.lines.filter(held=False).aggregate(total=Sum("amount"))["total"] or 0
        payout_run_record_request(run=run, by=user)
        recompute_payout_run_changes.apply(
            kwargs={"run_id": run.pk, "manager_ids": manager_ids, "synchronous": True,
                    "requested_by_id": user.pk}
        ).get()
        after = run.lines.filter(held=False).aggregate(total=Sum("amount"))["total"] or 0
        self.stdout.write(f"recomputed {len(manager_ids)} people: total {before:.2f} → "
                          f"{after:.2f}")
