"""Celery adapters of the partner portal: thin, safe to repeat."""

from celery import shared_task
from django.utils import timezone

from .notifications import handed_leads_remind


@shared_task(name="partner_portal.remind_silent_handed_leads")
def remind_silent_handed_leads() -> int:
    """Daily: remind partners of handed leads with no word for 14 days (once per silence)."""
    return handed_leads_remind(now=timezone.now())
