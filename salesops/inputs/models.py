"""The rows the pay-input write layer keeps (``salesops.inputs``): who changed what that feeds
pay and when (the audit trail), which person-months changed (stale runs), and which team a
person was in on each date (SPEC §1, §5, §7).

They live in the lowest app so that every app writing a pay input (salesops, leads, payouts)
calls down to them. ``AuditEntry`` and ``PayoutInputChange`` were once in leads and payouts:
their tables kept their names (migrations salesops 0011, leads 0006, payouts 0012).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .guard import PayInput, PayInputManager


class AuditEntry(models.Model):
    """An append-only record of a decision or of a write of a pay input: who, when, what it
    was before and after, and why (SPEC §5 "every decision is audited", §6.5). Nobody edits
    it: the admin is read-only and on PostgreSQL a trigger refuses UPDATE and DELETE."""

    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.BigIntegerField(_("object id"))
    # Empty for what a scheduled job decided by the rules (e.g. closing a partner's month).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))
    before = models.JSONField(_("before"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        db_table = "leads_auditentry"
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self):
        from salesops.audit_words import audit_entry_text  # the row in words, not its codes

        return audit_entry_text(self)


class PayoutInputChange(models.Model):
    """Something that feeds one person's pay in one month changed (SPEC §7 stale runs): calls,
    shifts, targets, milestones, payments, decisions on exceptions or duplicates, the team.

    One row per (manager, month), upserted by ``salesops.inputs.changes``; each change bumps
    ``version``, so a run member that read a lower version is stale, whatever the clocks of the
    writers said. The same rows tell an incremental recompute whom to redo.
    """

    manager = models.ForeignKey(
        "salesops.Manager", on_delete=models.CASCADE, related_name="+", verbose_name=_("manager")
    )
    month = models.DateField(_("month"))
    version = models.PositiveBigIntegerField(_("version"), default=1)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        db_table = "payouts_payoutinputchange"
        verbose_name = _("pay input change")
        verbose_name_plural = _("pay input changes")
        constraints = [
            models.UniqueConstraint(fields=["manager", "month"], name="payoutinputchange_once"),
            models.CheckConstraint(
                condition=Q(month__day=1), name="payoutinputchange_month_first_day"
            ),
        ]

    def __str__(self):
        return f"{self.manager_id} {self.month:%Y-%m} v{self.version}"


class TeamMembership(PayInput, models.Model):
    """The team a person is in from ``since`` on (SPEC §1: team membership is dated).

    A person's membership on a day is the row with the latest ``since`` on or before it (days
    of the organisation's calendar); ``team`` empty: in no team (an admin or the owner). A
    call, shift, milestone or payment belongs to the team of its day, and each team's run pays
    that share. ``Manager.team`` is the team of today, kept by ``membership_transfer``.
    """

    manager = models.ForeignKey(
        "salesops.Manager", on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("manager"),
    )
    team = models.ForeignKey(
        "salesops.Team", on_delete=models.PROTECT, null=True, blank=True,
        related_name="memberships", verbose_name=_("team"),
    )
    since = models.DateField(_("in the team from"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = PayInputManager()

    class Meta:
        ordering = ["manager", "since"]
        verbose_name = _("team membership")
        verbose_name_plural = _("team memberships")
        constraints = [
            models.UniqueConstraint(fields=["manager", "since"], name="teammembership_once_a_day"),
        ]

    def __str__(self):
        from salesops.formatting import format_day

        return gettext("%(manager)s in %(team)s from %(day)s") % {
            "manager": self.manager, "team": self.team or "—", "day": format_day(self.since)}


class LockedPeriod(models.Model):
    """A team's month that an approved or paid run holds (SPEC §6.5, §7): its pay inputs are
    final. Written by the payout run's transitions (``payouts.lifecycle``), read by every
    write of a pay input (``salesops.inputs.locks``) — including the call importer's SQL,
    which is why it is a table of this layer and not a question put to payouts."""

    team = models.ForeignKey(
        "salesops.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team")
    )
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=16)
    locked_at = models.DateTimeField(_("locked at"))

    class Meta:
        verbose_name = _("locked month")
        verbose_name_plural = _("locked months")
        constraints = [
            models.UniqueConstraint(fields=["team", "month"], name="lockedperiod_once"),
            models.CheckConstraint(condition=Q(month__day=1), name="lockedperiod_first_day"),
        ]

    def __str__(self):
        return f"{self.team_id} {self.month:%Y-%m} {self.status}"
