"""Fill an empty database with a demo organisation: people, a month of calls, leads, payments."""

import argparse
import datetime
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone, translation

from salesops import demo
from salesops.inputs import door
from salesops.models import Role
from salesops.periods import next_month, organisation_zone


def _iso_date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from error


class Command(BaseCommand):
    help = (
        "Build demo data: 3 teams with sales heads, managers, an owner, an admin, partners, "
        "calls and shifts on working days, monthly plans, a lead funnel and payments. "
        f'Every demo login has the password "{demo.DEMO_PASSWORD}".'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--managers", type=int, default=demo.DEFAULT_MANAGERS,
            help="Managers who make calls, spread across the teams (default %(default)s).",
        )
        parser.add_argument(
            "--days", type=int, default=demo.DEFAULT_DAYS,
            help="Calendar days of activity ending on --end (default %(default)s).",
        )
        parser.add_argument(
            "--seed", type=int, default=demo.DEFAULT_SEED,
            help="Random seed: the same seed and options give the same data.",
        )
        parser.add_argument(
            "--end", type=_iso_date, default=None,
            help="Last day, YYYY-MM-DD (default: today in the organisation's time zone).",
        )
        parser.add_argument(
            "--no-pay", action="store_true",
            help="Do not compute the demo months' payout runs afterwards.",
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--if-empty", action="store_true",
            help="Do nothing when managers already exist (for start-up scripts).",
        )
        existing.add_argument(
            "--reset", action="store_true",
            help="Delete the existing people, activity, leads and payments first.",
        )

    def handle(self, *args, managers, days, seed, end, if_empty, reset, no_pay, **options):
        if managers < 1 or days < 1:
            raise CommandError("--managers and --days must be at least 1.")
        if demo.demo_data_exists() and not reset:
            if if_empty:
                self.stdout.write("Demo data is already present (managers exist); nothing done.")
                return
            raise CommandError(
                "The database already has managers. Use --reset to replace them with demo "
                "data, or --if-empty to leave them alone."
            )
        end = end or timezone.localdate(timezone=organisation_zone())
        started = time.perf_counter()
        try:
            # A door like any other: what the demo writes goes through the write layer.
            with door("manage.py seed_demo"):
                result = demo.demo_data_build(
                    managers=managers, days=days, seed=seed, end=end, reset=reset
                )
        except (ProtectedError, RestrictedError, IntegrityError) as error:
            # Typically an approved payout run, which the database keeps immutable (SPEC §7).
            # Nothing was deleted: the reset and the build share one transaction.
            raise CommandError(f"Could not replace the existing data: {error}") from error
        self._report(result, seconds=time.perf_counter() - started, seed=seed)
        if not no_pay:
            # Pay for every month the demo covers, through the same task code as production.
            month = result.start.replace(day=1)
            while month <= result.end:
                call_command("compute_payouts", f"{month:%Y-%m}", stdout=self.stdout)
                month = next_month(month)

    def _report(self, result: demo.DemoResult, *, seconds: float, seed: int) -> None:
        self.stdout.write(
            f"Demo data for {result.start:%Y-%m-%d} … {result.end:%Y-%m-%d} (seed {seed}):"
        )
        for label, count in result.counts.items():
            self.stdout.write(f"  {label:<15} {count:>9}")
        self.stdout.write(f'Demo logins (password "{demo.DEMO_PASSWORD}"):')
        self.stdout.write(f"  {'username':<14} {'role':<12} team")
        with translation.override("en"):  # the command speaks English; roles by their names
            for login in result.logins:
                role = (login.role if login.role == demo.PARTNER_ROLE
                        else str(Role(login.role).label).lower())
                self.stdout.write(f"  {login.username:<14} {role:<12} {login.team}")
        counts = result.counts
        self.stdout.write(
            f"{counts['logins'] + counts['partner logins']} logins: {counts['owners']} owner, "
            f"{counts['admins']} admin, {counts['sales heads']} sales heads, "
            f"{counts['managers']} managers, {counts['partner logins']} partner.")
        self.stdout.write(self.style.SUCCESS(f"Done in {seconds:.1f} s."))
