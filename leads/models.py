"""Leads, their milestone history, partners and payments (SPEC §2, §5)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salesops.inputs.guard import PayInput, PayInputManager
from salesops.models import Manager


class Partner(models.Model):
    """An outside party who refers leads and earns a share of their payments (SPEC §5)."""

    name = models.CharField(_("name"), max_length=200)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="partner", verbose_name=_("login"),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    default_percent = models.DecimalField(
        _("commission, %"), max_digits=5, decimal_places=2, default=10
    )
    hold_days = models.PositiveSmallIntegerField(_("hold, days"), default=30)
    recurring_months = models.PositiveSmallIntegerField(
        _("recurring months"), null=True, blank=True,
        help_text=_("How many months of recurring payments earn commission; empty for life."),
    )
    minimum_payout = models.DecimalField(
        _("minimum payout"), max_digits=12, decimal_places=2, default=0
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.CheckConstraint(
                condition=Q(default_percent__gte=0) & Q(default_percent__lte=100),
                name="partner_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(minimum_payout__gte=0), name="partner_minimum_payout_non_negative"
            ),
        ]

    def __str__(self):
        return self.name


class LeadSource(models.TextChoices):
    COLD_CALL = "cold_call", _("Cold call")
    INBOUND = "inbound", _("Inbound")
    OWNER_ROUTED = "owner_routed", _("Owner-routed")
    PARTNER_REFERRED = "partner_referred", _("Partner-referred")
    # A lead we pass to a partner (issue 20): what it pays is the commission the partner owes
    # us, recorded as a payment of the lead once received.
    HANDED_TO_PARTNER = "handed_to_partner", _("Handed to a partner")


class DuplicateState(models.TextChoices):
    """SPEC §6.3: a duplicate waits for a sales head; first touch wins by default."""

    PENDING = "pending", _("Pending resolution")
    KEEP_FIRST = "keep_first", _("First touch kept")
    CREDIT_NEWCOMER = "credit_newcomer", _("Newcomer credited")
    MERGED = "merged", _("Merged into the first lead")


# States in which a duplicate earns no per-lead pay or partner credit of its own.
DUPLICATE_UNPAID = (DuplicateState.PENDING, DuplicateState.KEEP_FIRST, DuplicateState.MERGED)


class Lead(PayInput, models.Model):
    name = models.CharField(_("contact"), max_length=200, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=20, blank=True, db_index=True)
    tax_id = models.CharField(_("tax id"), max_length=12, blank=True, db_index=True)
    owner = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="leads", verbose_name=_("owner manager")
    )
    source = models.CharField(_("source"), max_length=20, choices=LeadSource.choices)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="leads",
        verbose_name=_("partner"),
    )
    created_at = models.DateTimeField(_("created at"))
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    duplicate_state = models.CharField(
        _("duplicate"), max_length=16, choices=DuplicateState.choices, blank=True
    )

    objects = PayInputManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        permissions = [("resolve_duplicate", _("Can resolve duplicate leads"))]
        constraints = [
            # A duplicate always names the lead it duplicates, and only a duplicate has a state.
            models.CheckConstraint(
                condition=Q(duplicate_of__isnull=True, duplicate_state="")
                | (Q(duplicate_of__isnull=False) & ~Q(duplicate_state="")),
                name="lead_duplicate_state_iff_duplicate_of",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=F("pk")), name="lead_not_duplicate_of_itself"
            ),
            # A partner is credited exactly when the lead is partner-referred.
            models.CheckConstraint(
                condition=(
                    Q(source=LeadSource.PARTNER_REFERRED, partner__isnull=False)
                    | (~Q(source=LeadSource.PARTNER_REFERRED) & Q(partner__isnull=True))
                ),
                name="lead_partner_iff_partner_referred",
            ),
        ]
        indexes = [models.Index(fields=["owner", "created_at"], name="lead_owner_created")]

    def __str__(self):
        return self.company or self.name or self.phone or f"#{self.pk}"


class MilestoneKind(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    ARRIVED = "arrived", _("Arrived")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    FAKE = "fake", _("Fake")
    # Not a step of the lead: a row that voids an earlier row, with a reason (SPEC §2).
    CORRECTION = "correction", _("Correction")


# The kinds that are steps of a lead (every kind but a correction).
MILESTONE_STEPS = [kind for kind in MilestoneKind if kind != MilestoneKind.CORRECTION]


class LeadMilestone(PayInput, models.Model):
    """One row of a lead's history; the current status is derived from the latest step in force.

    The history is append-only (SPEC §2): a wrong row is never edited or deleted but voided by a
    correction, a new row of kind ``correction`` that ``corrects`` it and says why. A row is in
    force while no correction points at it (``leads.selectors.milestone_in_force``). On
    PostgreSQL a trigger refuses UPDATE and DELETE (migration 0004).
    """

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("lead")
    )
    kind = models.CharField(_("milestone"), max_length=16, choices=MilestoneKind.choices)
    at = models.DateTimeField(_("at"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("set by"),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    corrects = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="correction",
        verbose_name=_("corrects"),
    )
    reason = models.TextField(_("reason of the correction"), blank=True)

    objects = PayInputManager()

    class Meta:
        ordering = ["lead", "at", "pk"]
        verbose_name = _("lead milestone")
        verbose_name_plural = _("lead milestones")
        constraints = [
            # A correction, and only a correction, voids another row and says why.
            models.CheckConstraint(
                condition=(Q(kind=MilestoneKind.CORRECTION, corrects__isnull=False)
                           & ~Q(reason=""))
                | (~Q(kind=MilestoneKind.CORRECTION) & Q(corrects__isnull=True)),
                name="milestone_correction_has_target_and_reason",
            ),
            models.CheckConstraint(
                condition=~Q(corrects=F("pk")), name="milestone_not_correcting_itself"
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "at"], name="milestone_kind_at"),
            models.Index(fields=["lead", "at"], name="milestone_lead_at"),
        ]

    def __str__(self):
        return f"{self.lead}: {self.get_kind_display()} {self.at:%Y-%m-%d}"


class PaymentKind(models.TextChoices):
    ONE_TIME = "one_time", _("One-time")
    RECURRING = "recurring", _("Recurring")


class Payment(PayInput, models.Model):
    """Money received on a lead; a refund is a negative payment pointing at what it reverses."""

    lead = models.ForeignKey(
        Lead, on_delete=models.PROTECT, related_name="payments", verbose_name=_("lead")
    )
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("received on"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=PaymentKind.choices, default=PaymentKind.ONE_TIME
    )
    period_start = models.DateField(
        _("period start"), null=True, blank=True,
        help_text=_("For a recurring payment: the first day of the period it pays for."),
    )
    refund_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refunds",
        verbose_name=_("refund of"),
    )
    external_id = models.CharField(_("external id"), max_length=128, blank=True)

    objects = PayInputManager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(refund_of__isnull=True, amount__gt=0)
                    | Q(refund_of__isnull=False, amount__lt=0)
                ),
                name="payment_refund_is_negative",
            ),
            models.CheckConstraint(
                condition=~Q(kind=PaymentKind.RECURRING) | Q(period_start__isnull=False),
                name="payment_recurring_has_period",
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""),
                name="payment_external_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["received_on"], name="payment_received_on")]

    def __str__(self):
        return f"{self.amount} {self.received_on:%Y-%m-%d}"

    @property
    def is_refund(self) -> bool:
        return self.refund_of_id is not None


class LeadOwnership(PayInput, models.Model):
    """Who owned a lead from when (SPEC §6.7): a milestone or payment is credited to the owner
    in force at its time, so reassigning a lead never changes what earlier months paid, and
    later payments and milestones follow the new owner.

    Days are the organisation's calendar days: a reassignment takes effect from the start of
    its day. The first owner's row has no ``since``: it owns everything before the first
    reassignment.
    """

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("lead")
    )
    owner = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner manager")
    )
    since = models.DateField(_("owner from"), null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("set by"),
    )
    reason = models.TextField(_("reason"), blank=True)

    objects = PayInputManager()

    class Meta:
        ordering = ["lead", "since"]
        verbose_name = _("lead owner")
        verbose_name_plural = _("lead owners")
        constraints = [
            models.UniqueConstraint(fields=["lead", "since"], name="leadownership_once"),
            models.UniqueConstraint(fields=["lead"], condition=Q(since__isnull=True),
                                    name="leadownership_one_first_owner"),
        ]

    def __str__(self):
        from salesops.formatting import format_day

        return gettext("%(lead)s: %(owner)s from %(day)s") % {
            "lead": self.lead, "owner": self.owner,
            "day": format_day(self.since) if self.since else "—"}
