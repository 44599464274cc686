"""Outsourced call centres (КЦ) as payees: the vendor, its contracts, its monthly statements,
its prepaid balance, pilots, QA verdicts and guest logins.

A vendor's operators are people of the vendor's own team (``Vendor.team``): the call importer
matches their calls like anyone's, and the engine gathers the team's month as it does a
staff team's. A contract is a compensation plan (the same components, versions and editors),
applied to the vendor's activity as a whole (``computation``).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from leads.models import Lead, LeadMilestone
from payouts.models import MONEY, RATE, CompensationPlan, FiguresJSONEncoder, PlanVersion
from salesops.inputs.guard import PayInput, PayInputManager
from salesops.models import CallLog, Team


class Vendor(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    team = models.OneToOneField(
        Team, on_delete=models.PROTECT, related_name="vendor", verbose_name=_("operators' team"),
        help_text=_("The vendor's operators are the people of this team."),
    )
    prepaid = models.BooleanField(
        _("prepaid balance"), default=False,
        help_text=_("Per-minute and per-hour work is written off a prepaid balance."),
    )
    low_balance_threshold = models.DecimalField(
        _("warn below balance"), **MONEY, null=True, blank=True)
    notify_email = models.EmailField(_("e-mail for balance warnings"), blank=True)
    # The balance was below the threshold when last written off: warned once, until a top-up.
    low_balance_warned = models.BooleanField(_("low balance warned"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self):
        return self.name


class VendorContract(models.Model):
    """Which plan pays the vendor from a month on (its components are the contract's)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contracts",
                               verbose_name=_("vendor"))
    plan = models.ForeignKey(CompensationPlan, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("plan"))
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    class Meta:
        ordering = ["vendor", "-effective_from"]
        verbose_name = _("vendor contract")
        verbose_name_plural = _("vendor contracts")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "effective_from"],
                                    name="vendorcontract_vendor_from"),
            models.CheckConstraint(condition=Q(effective_from__day=1),
                                   name="vendorcontract_starts_on_first"),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="vendorcontract_dates_ordered"),
        ]

    def __str__(self):
        return f"{self.vendor}: {self.plan} ({self.effective_from:%m.%Y})"


class VendorStatement(models.Model):
    """A vendor's month: draft → final → paid, like a partner's statement."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")
        PAID = "paid", _("Paid")

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="statements",
                               verbose_name=_("vendor"))
    month = models.DateField(_("month"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices,
                              default=Status.DRAFT)
    plan_version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="+", verbose_name=_("contract"))
    total = models.DecimalField(_("total"), **MONEY, default=0)
    # The figures the lines were built from (engine.figures.MonthFacts as JSON).
    facts = models.JSONField(_("figures"), default=dict, encoder=FiguresJSONEncoder)
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    # The sum of the change versions of the month's people's inputs read before the figures
    # were gathered (salesops.inputs.changes): a larger sum later means late data to adjust.
    inputs_version = models.PositiveBigIntegerField(_("inputs version"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("finalised at"), null=True, blank=True)
    finalised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")

    class Meta:
        ordering = ["vendor", "-month"]
        verbose_name = _("vendor statement")
        verbose_name_plural = _("vendor statements")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "month"], name="vendorstatement_month"),
            models.CheckConstraint(condition=Q(month__day=1),
                                   name="vendorstatement_month_first_day"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(finalised_at__isnull=False),
                name="vendorstatement_final_has_time"),
            models.CheckConstraint(condition=~Q(status="paid") | Q(paid_at__isnull=False),
                                   name="vendorstatement_paid_has_time"),
        ]

    def __str__(self):
        return f"{self.vendor} {self.month:%Y-%m}"

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT


class VendorStatementLine(models.Model):
    statement = models.ForeignKey(VendorStatement, on_delete=models.CASCADE,
                                  related_name="lines", verbose_name=_("statement"))
    kind = models.CharField(_("kind"), max_length=32)
    key = models.CharField(_("key"), max_length=120, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=16, decimal_places=4)
    rate = models.DecimalField(_("rate"), **RATE, null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    held = models.BooleanField(_("held"), default=False)
    adjusts_month = models.DateField(_("adjusts month"), null=True, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict, encoder=FiguresJSONEncoder)

    class Meta:
        ordering = ["statement", "adjusts_month", "kind", "key"]
        verbose_name = _("vendor statement line")
        verbose_name_plural = _("vendor statement lines")
        constraints = [
            models.UniqueConstraint(fields=["statement", "kind", "key"],
                                    name="vendorstatementline_key"),
        ]

    def __str__(self):
        return f"{self.statement}: {self.kind} {self.key}"


class VendorStatementSource(models.Model):
    """A lead's milestone a line paid or clawed back (the calls of a line are found by its
    explanation's filter: a month is too many calls to list one by one)."""

    line = models.ForeignKey(VendorStatementLine, on_delete=models.CASCADE,
                             related_name="sources")
    milestone = models.ForeignKey(LeadMilestone, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=16, decimal_places=4)
    amount = models.DecimalField(**MONEY)

    class Meta:
        verbose_name = _("vendor statement source")
        verbose_name_plural = _("vendor statement sources")

    def __str__(self):
        return f"{self.line_id}: {self.milestone_id}"


class BalanceEntry(models.Model):
    """A move of a vendor's prepaid balance: a top-up (+) or a write-off of work (−)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        WRITE_OFF = "write_off", _("Write-off")

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="balance",
                               verbose_name=_("vendor"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    month = models.DateField(_("month of the work"), null=True, blank=True)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["vendor", "-at", "-pk"]
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance entries")
        constraints = [
            models.CheckConstraint(condition=~Q(kind="top_up") | Q(amount__gt=0),
                                   name="balanceentry_top_up_positive"),
            models.CheckConstraint(condition=~Q(kind="write_off") | Q(month__isnull=False),
                                   name="balanceentry_write_off_has_month"),
        ]

    def __str__(self):
        return f"{self.vendor_id} {self.kind} {self.amount}"


class Pilot(models.Model):
    """A named, time-boxed trial of a vendor or a team under a contract (dates inclusive)."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="pilots", verbose_name=_("vendor"))
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="pilots", verbose_name=_("team"))
    plan = models.ForeignKey(CompensationPlan, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("contract"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    goal = models.TextField(_("goal"), blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")
        constraints = [
            models.CheckConstraint(
                condition=Q(vendor__isnull=False, team__isnull=True)
                | Q(vendor__isnull=True, team__isnull=False), name="pilot_vendor_xor_team"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")),
                                   name="pilot_dates_ordered"),
        ]

    def __str__(self):
        return self.name

    @property
    def team_id_measured(self) -> int:
        return self.vendor.team_id if self.vendor_id else self.team_id


class Verdict(models.TextChoices):
    FINE = "fine", _("Fine")
    EMPTY = "empty", _("Empty conversation")
    FAKE = "fake", _("Fake lead")


class QaVerdict(PayInput, models.Model):
    """A listener's verdict on a call or a lead (a pay input: SPEC §6.6, issue 19)."""

    call = models.OneToOneField(CallLog, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="qa_verdict", verbose_name=_("call"))
    lead = models.OneToOneField(Lead, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="qa_verdict", verbose_name=_("lead"))
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           blank=True, related_name="+")
    at = models.DateTimeField(_("at"))

    objects = PayInputManager()

    class Meta:
        verbose_name = _("QA verdict")
        verbose_name_plural = _("QA verdicts")
        constraints = [
            models.CheckConstraint(
                condition=Q(call__isnull=False, lead__isnull=True)
                | Q(call__isnull=True, lead__isnull=False), name="qaverdict_call_xor_lead"),
            # A call is judged a conversation or not; a lead real or fake.
            models.CheckConstraint(
                condition=Q(call__isnull=True) | ~Q(verdict="fake"), name="qaverdict_call_kinds"),
            models.CheckConstraint(
                condition=Q(lead__isnull=True) | ~Q(verdict="empty"), name="qaverdict_lead_kinds"),
        ]

    def __str__(self):
        return f"{self.call_id or self.lead_id}: {self.verdict}"


class VendorGuest(models.Model):
    """A vendor's client's login: sees only that vendor's sampled recordings and statements."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="vendor_guest", verbose_name=_("login"))
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="guests",
                               verbose_name=_("vendor"))

    class Meta:
        verbose_name = _("vendor guest")
        verbose_name_plural = _("vendor guests")

    def __str__(self):
        return f"{self.user} → {self.vendor}"
