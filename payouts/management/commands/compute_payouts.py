from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Sum

from payouts.lifecycle import payout_run_record_request
from payouts.models import PayoutRun
from payouts.selectors import payout_runs_progress
from payouts.tasks import compute_payout_run, recompute_payout_run_changes
from salesops.models import Team
from salesops.periods import parse_month


class Command(BaseCommand):
    help = "Compute a month's payout runs now, in this process, through the Celery task code."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--team", help="team code; every team when omitted")
        parser.add_argument(
            "--changed", action="store_true",
            help="recompute only the people whose inputs changed since the runs were computed",
        )
        parser.add_argument(
            "--by", help="username of the person asking for the computation (recorded: they "
                         "do not approve these runs, SPEC §1); a scheduled job when omitted")

    def handle(self, *args, month, team=None, changed=False, by=None, **options):
        user = None
        if by:
            user = get_user_model().objects.filter(username=by, is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {by!r}")
        try:
            first = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        team_id = None
        if team:
            team_id = Team.objects.filter(code=team).values_list("pk", flat=True).first()
            if team_id is None:
                raise CommandError(f"no team {team!r}")
        if changed:
            self._changed(first, team_id, user)
            return
        results = compute_payout_run.apply(
            kwargs={"month": month, "team_id": team_id, "synchronous": True,
                    "requested_by_id": user.pk if user else None}
        ).get()
        # Every run's summary read at once, not a few queries per team.
        runs = PayoutRun.objects.annotate(
            line_count=Count("lines"), amount=Sum("lines__amount")
        ).in_bulk([result["run"] for result in results if not result["locked"]])
        progress = payout_runs_progress(runs=list(runs.values()))
        for run in runs.values():
            payout_run_record_request(run=run, by=user)
        for result in results:
            if result["locked"]:
                self.stdout.write(f"{result['team']}: {first:%Y-%m} is locked, not recomputed")
                continue
            run = runs[result["run"]]
            done, total = progress[run.pk]
            self.stdout.write(
                f"{result['team']}: {run.month:%Y-%m} {run.status}, {done}/{total} managers, "
                f"{run.line_count} lines, total {run.amount or 0:.2f}"
            )

    def _changed(self, first, team_id, user) -> None:
        runs = PayoutRun.objects.filter(month=first).select_related("team").order_by("team__code")
        if team_id:
            runs = runs.filter(team_id=team_id)
        for run in runs:
            if not run.is_locked:
                payout_run_record_request(run=run, by=user)
            result = recompute_payout_run_changes.apply(
                kwargs={"run_id": run.pk, "synchronous": True,
                        "requested_by_id": user.pk if user else None}
            ).get()
            if result.get("locked"):
                self.stdout.write(f"{run.team.code}: {first:%Y-%m} is locked, not recomputed")
                continue
            run.refresh_from_db()
            self.stdout.write(f"{run.team.code}: {first:%Y-%m} {run.status}, "
                              f"{len(result['members'])} people recomputed")
