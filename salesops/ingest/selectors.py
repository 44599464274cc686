"""Reads about integrations: their health page (issue 21)."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from salesops.models import CallLog
from salesops.periods import organisation_zone

from .models import IngestDay, Integration, RefusedRequest


@dataclass(frozen=True)
class Health:
    calls_today: int
    last_event_at: datetime.datetime | None
    refusals: list[RefusedRequest]
    refusals_today: int
    # Calls of the integration's source that a file import brought while the integration was
    # live and no delivery of it did: events the PBX did not post.
    missed: list[CallLog]
    missed_count: int


def integration_health(integration: Integration, *, listed: int = 20) -> Health:
    zone = organisation_zone()
    today = timezone.localdate(timezone=zone)
    start = datetime.datetime.combine(today, datetime.time.min, tzinfo=zone)
    batches = IngestDay.objects.filter(integration=integration).values("batch_id")
    calls = CallLog.objects.filter(source=integration.source, batch_id__in=batches)
    today_batch = IngestDay.objects.filter(integration=integration, day=today).values(
        "batch_id")
    missed = (CallLog.objects.filter(source=integration.source,
                                     started_at__gte=integration.created_at)
              .exclude(batch_id__in=batches)
              .filter(Q(batch__isnull=False) & ~Q(batch__file=""))
              .select_related("manager__user", "batch").order_by("-started_at"))
    refusals = integration.refusals.order_by("-at")
    return Health(
        calls_today=calls.filter(batch_id__in=today_batch).count(),
        last_event_at=integration.last_event_at,
        refusals=list(refusals[:listed]),
        refusals_today=refusals.filter(at__gte=start).count(),
        missed=list(missed[:listed]), missed_count=missed.count(),
    )
