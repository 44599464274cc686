"""Partner statements of a month (SPEC §5)::

    python manage.py partner_statements 2026-11 --output statements.xlsx   # drafts, exported
    python manage.py partner_statements 2026-11 --finalise --by admin --output final.xlsx
    python manage.py partner_statements 2026-11 --mark-paid --by admin

Without ``--finalise`` or ``--mark-paid`` the month's drafts are computed (a final or paid
statement is exported as it is: it is never computed again).
"""

from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from payouts.models import PartnerStatement
from payouts.partner_export import partner_statements_export
from payouts.partners import (
    PartnerStatementError,
    partner_statement_finalise,
    partner_statement_mark_paid,
    partner_statements_compute,
)
from salesops.periods import parse_month


class Command(BaseCommand):
    help = ("Compute every active partner's statement for a month, or make the month final, or "
            "mark its final statements paid; export them (CSV or XLSX).")

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--output", help="a .csv or .xlsx path")
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--finalise", action="store_true",
                            help="make the month's statements final (the month must be over)")
        action.add_argument("--mark-paid", action="store_true",
                            help="mark the month's final statements paid")
        parser.add_argument("--by", help="username of the owner or admin who does it")

    def handle(self, *args, month, output, finalise, mark_paid, by, **options):
        try:
            first = parse_month(month)
        except ValueError as error:
            raise CommandError(str(error)) from error
        path = Path(output) if output else None
        if path is not None and path.suffix.lower() not in (".csv", ".xlsx"):
            raise CommandError("--output must end in .csv or .xlsx")
        if path is None and not mark_paid:
            raise CommandError("--output is required")
        user = self._user(by) if (finalise or mark_paid or by) else None
        try:
            if finalise:
                statements = [
                    partner_statement_finalise(statement=s, by=user)
                    for s in partner_statements_compute(month=first)
                    if s.status == PartnerStatement.Status.DRAFT
                ]
            elif mark_paid:
                statements = [
                    partner_statement_mark_paid(statement=s, by=user)
                    for s in PartnerStatement.objects.filter(
                        month=first, status=PartnerStatement.Status.FINAL
                    ).select_related("partner").order_by("partner__name", "pk")
                ]
            else:
                statements = partner_statements_compute(month=first)
        except PartnerStatementError as error:
            raise CommandError(str(error)) from error
        payable = sum((s.payable for s in statements), Decimal("0.00"))
        done = "made final" if finalise else "marked paid" if mark_paid else "computed"
        message = f"{len(statements)} partner statements for {month} {done}, payable {payable}"
        if path is not None:
            partner_statements_export(month=first, path=path)
            message += f", written to {path}"
        self.stdout.write(message)

    def _user(self, username):
        if not username:
            raise CommandError("--by is required to finalise or mark paid")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        return user
