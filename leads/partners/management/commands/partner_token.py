"""Issue an API token for a partner's own system: ``partner_token <partner id> --by <username>``.
The key is printed once; only its hash is kept."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from leads.models import Partner
from leads.partners.api import partner_token_issue
from salesops import policy


class Command(BaseCommand):
    help = "Issue an API token for a partner (printed once)."

    def add_arguments(self, parser):
        parser.add_argument("partner", type=int)
        parser.add_argument("--by", required=True, help="username of the owner or admin")

    def handle(self, *args, partner, by, **options):
        user = get_user_model().objects.filter(username=by).first()
        found = Partner.objects.filter(pk=partner).first()
        if user is None or found is None:
            raise CommandError("No such partner or user.")
        try:
            key = partner_token_issue(partner=found, by=user)
        except policy.AccessDenied as error:
            raise CommandError(str(error)) from None
        self.stdout.write(key)
