"""Writes of integrations: made, given a new token, revoked, refusals recorded. The admin and
the command call these; each asks the access policy when it acts for somebody."""

import datetime
import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from salesops import policy
from salesops.inputs import audit_record

from .models import Integration, RefusedRequest
from .tokens import token_hash, token_new

logger = logging.getLogger("salesops.ingest")


def _require(by, action: str, obj) -> None:
    if by is not None:
        policy.require(by, action, "integrations", obj)


@transaction.atomic
def integration_create(*, name: str, source: str, adapter: str, by=None, secret: str = "",
                       account_key: str = "", teams=(), status_preset: str = "",
                       time_zone: str = "", json_mapping: dict | None = None,
                       ) -> tuple[Integration, str]:
    """Make an integration; returns it and its token, which is shown once and never again."""
    token = token_new()
    integration = Integration(
        name=name, source=source, adapter=adapter, secret=secret, account_key=account_key,
        status_preset=status_preset, time_zone=time_zone, json_mapping=json_mapping or {},
        token_hash=token_hash(token), token_prefix=token[:12], created_by=by)
    _require(by, policy.CREATE, integration)
    integration.full_clean()
    integration.save()
    if teams:
        integration.teams.set(teams)
    audit_record(action="integration_created", obj=integration, by=by, before={},
                 after={"name": name, "source": source, "adapter": adapter})
    return integration, token


@transaction.atomic
def integration_save(*, integration: Integration, by=None, teams=None) -> str | None:
    """The admin's form: a new integration is made (its token returned, to be shown once);
    an existing one keeps its source, adapter and token, and has the rest changed."""
    if integration.pk is None:
        _made, token = integration_create(
            name=integration.name, source=integration.source, adapter=integration.adapter,
            by=by, secret=integration.secret, account_key=integration.account_key,
            teams=teams or (), status_preset=integration.status_preset,
            time_zone=integration.time_zone, json_mapping=integration.json_mapping)
        integration.pk = _made.pk
        integration.token_prefix, integration.public_id = _made.token_prefix, _made.public_id
        return token
    stored = Integration.objects.select_for_update().get(pk=integration.pk)
    _require(by, policy.CHANGE, stored)
    fields = ["name", "secret", "account_key", "status_preset", "time_zone"]
    for name in fields:
        setattr(stored, name, getattr(integration, name))
    stored.full_clean()
    stored.save(update_fields=fields)
    if teams is not None:
        stored.teams.set(teams)
    audit_record(action="integration_changed", obj=stored, by=by, before={},
                 after={"name": stored.name,
                        "teams": sorted(stored.teams.values_list("code", flat=True))})
    return None


@transaction.atomic
def integration_json_mapping_set(*, integration: Integration, mapping: dict, by=None) -> None:
    """Save the generic adapter's JSON paths (call field → path)."""
    from .adapters.generic import mapping_problems

    _require(by, policy.CHANGE, integration)
    problems = mapping_problems(mapping)
    if problems:
        raise ValidationError("; ".join(problems))
    Integration.objects.filter(pk=integration.pk).update(json_mapping=mapping)
    audit_record(action="integration_json_paths_set", obj=integration, by=by, before={},
                 after={"json_mapping": mapping})


@transaction.atomic
def integration_token_renew(*, integration: Integration, by=None) -> str:
    """A new token; the old one stops working at once."""
    _require(by, policy.CHANGE, integration)
    token = token_new()
    Integration.objects.filter(pk=integration.pk).update(
        token_hash=token_hash(token), token_prefix=token[:12])
    integration.refresh_from_db()
    audit_record(action="integration_token_renewed", obj=integration, by=by, before={},
                 after={"token_prefix": integration.token_prefix})
    return token


@transaction.atomic
def integration_revoke(*, integration: Integration, by=None) -> Integration:
    """Refuse everything the integration posts from now on (its calls stay)."""
    _require(by, policy.CHANGE, integration)
    if integration.revoked_at is None:
        Integration.objects.filter(pk=integration.pk).update(revoked_at=timezone.now())
        integration.refresh_from_db()
        audit_record(action="integration_revoked", obj=integration, by=by, before={},
                     after={"revoked_at": integration.revoked_at.isoformat()})
    return integration


_seen_at: dict[int, float] = {}


def event_seen(*, integration: Integration) -> None:
    """Note that ``integration`` posted now, at most once a second (per process, and in the
    database): under a burst of webhooks the row is not rewritten (and locked) by each."""
    moment = time.monotonic()
    if settings.INGEST_LOOKUP_TTL_S > 0 and moment - _seen_at.get(integration.pk, -10.0) < 1.0:
        return
    _seen_at[integration.pk] = moment
    now = timezone.now()
    Integration.objects.filter(pk=integration.pk).filter(
        Q(last_event_at__isnull=True) | Q(last_event_at__lt=now - datetime.timedelta(seconds=1))
    ).update(last_event_at=now)


def refusal_record(*, request, reason: str, status: int,
                   integration: Integration | None = None) -> RefusedRequest:
    """Log a refused request with its reason: the address and the caller, never the body,
    its signature or the token."""
    remote = request.META.get("REMOTE_ADDR") or None
    logger.warning("ingest: refused %s %s from %s: %s (integration %s)", request.method,
                   request.path[:200], remote, reason, integration.pk if integration else "-")
    return RefusedRequest.objects.create(
        integration=integration if integration is not None and integration.pk else None,
        path=request.path[:200], remote_addr=remote, reason=reason, status=status)
