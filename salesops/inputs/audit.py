"""Write the audit trail: one row per decision or write of a pay input, in the caller's
transaction (SPEC §5, §6.5)."""

from django.utils import timezone

from .models import AuditEntry


def audit_record(
    *, action: str, obj, by, before: dict, after: dict, comment: str = ""
) -> AuditEntry:
    """Record ``by``'s ``action`` on ``obj``. Call it inside the transaction that makes the
    change, so that a change without its audit row (or the reverse) can never be committed."""
    return AuditEntry.objects.create(
        action=action, object_type=obj._meta.label_lower, object_id=obj.pk or 0, by=by,
        at=timezone.now(), before=before, after=after, comment=comment,
    )
