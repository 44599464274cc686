"""Write the audit trail: one row per decision, in the caller's transaction (SPEC §5)."""

from django.utils import timezone

from .models import AuditEntry


def audit_record(
    *, action: str, obj, by, before: dict, after: dict, comment: str = ""
) -> AuditEntry:
    """Record ``by``'s decision on ``obj``. Call it inside the transaction that makes the
    change, so that a change without its audit row (or the reverse) can never be committed."""
    return AuditEntry.objects.create(
        action=action, object_type=obj._meta.label_lower, object_id=obj.pk, by=by,
        at=timezone.now(), before=before, after=after, comment=comment,
    )
