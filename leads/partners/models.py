"""What the partner portal keeps besides leads and statements: a partner's referral link, payout
details waiting for an admin, leads we hand to partners with what the partners report, API
tokens, and the mails sent once."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads.models import Lead, Partner, Payment
from salesops.inputs.guard import PayInput, PayInputManager
from salesops.models import Manager


class ReferralLink(models.Model):
    """A partner's personal link ``/r/<code>/``: a lead sent through it is theirs."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE,
                                   related_name="referral_link", verbose_name=_("partner"))
    code = models.CharField(_("code"), max_length=32, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral link")
        verbose_name_plural = _("referral links")

    def __str__(self):
        return f"/r/{self.code}/"


class PayoutMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer to a legal entity")
    CARD = "card", _("Card")
    OTHER = "other", _("Another method")


class DetailsStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("In force")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Replaced")


class PayoutDetails(models.Model):
    """Where a partner wants to be paid. A partner's change is ``pending`` until an admin
    confirms it (the place where a fraudster would redirect money); the confirmed row is the
    one in force, the one it replaces stays as ``superseded``. Each step is audited."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE,
                                related_name="payout_details", verbose_name=_("partner"))
    method = models.CharField(_("method"), max_length=16, choices=PayoutMethod.choices)
    legal_name = models.CharField(_("recipient (legal entity or person)"), max_length=200,
                                  blank=True)
    tax_id = models.CharField(_("tax id"), max_length=12, blank=True)
    bank_name = models.CharField(_("bank"), max_length=200, blank=True)
    bank_bic = models.CharField(_("BIC"), max_length=9, blank=True)
    account_number = models.CharField(_("account number"), max_length=20, blank=True)
    card_number = models.CharField(_("card number"), max_length=19, blank=True)
    other_details = models.TextField(_("details"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=DetailsStatus.choices,
                              default=DetailsStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, related_name="+", verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["partner", "-requested_at", "-pk"]
        verbose_name = _("payout details")
        verbose_name_plural = _("payout details")
        constraints = [
            models.UniqueConstraint(fields=["partner"], condition=Q(status="pending"),
                                    name="payoutdetails_one_pending_per_partner"),
            models.UniqueConstraint(fields=["partner"], condition=Q(status="confirmed"),
                                    name="payoutdetails_one_in_force_per_partner"),
        ]

    def __str__(self):
        return f"{self.partner}: {self.get_method_display()} ({self.get_status_display()})"

    def summary(self) -> str:
        """The details in one line, a card shown by its last four digits only."""
        if self.method == PayoutMethod.CARD:
            return f"{self.get_method_display()} •••• {self.card_number[-4:]}"
        if self.method == PayoutMethod.BANK_TRANSFER:
            return ", ".join(x for x in (self.legal_name, self.tax_id, self.bank_name,
                                         self.bank_bic, self.account_number) if x)
        return self.other_details


class HandedStatus(models.TextChoices):
    HANDED = "handed", _("Handed over")
    IN_PROGRESS = "in_progress", _("In progress")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


class HandedLead(models.Model):
    """A lead we passed to a partner, with the commission agreed (percent of what their client
    pays). The partner reports its status and the client's payments; ``last_update_at`` is the
    last word from them, ``reminded_at`` when they were last reminded of a silence."""

    lead = models.OneToOneField(Lead, on_delete=models.PROTECT, related_name="handed",
                                verbose_name=_("lead"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT,
                                related_name="handed_leads", verbose_name=_("partner"))
    handed_by = models.ForeignKey(Manager, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("handed over by"))
    percent = models.DecimalField(_("our commission, %"), max_digits=5, decimal_places=2)
    handed_at = models.DateTimeField(_("handed over at"))
    status = models.CharField(_("status"), max_length=12, choices=HandedStatus.choices,
                              default=HandedStatus.HANDED)
    last_update_at = models.DateTimeField(_("last update from the partner"))
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        ordering = ["-handed_at", "-pk"]
        verbose_name = _("lead handed to a partner")
        verbose_name_plural = _("leads handed to partners")
        constraints = [
            models.CheckConstraint(condition=Q(percent__gt=0) & Q(percent__lte=100),
                                   name="handedlead_percent_0_100"),
        ]

    def __str__(self):
        return f"{self.lead} → {self.partner}"


class HandedLeadPayment(PayInput, models.Model):
    """A payment a partner reports from the client of a lead we handed them, and the commission
    it owes us (a pay input: the handing manager earns when the commission is received, which
    records it as a payment of the lead, ``commission_payment``)."""

    handed_lead = models.ForeignKey(HandedLead, on_delete=models.PROTECT,
                                    related_name="payments", verbose_name=_("handed lead"))
    amount = models.DecimalField(_("client's payment"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("client paid on"))
    commission = models.DecimalField(_("commission owed"), max_digits=14, decimal_places=2)
    due_on = models.DateField(_("commission due on"))
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+", verbose_name=_("reported by"))
    commission_payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="handed_report",
        verbose_name=_("commission received"))

    objects = PayInputManager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("payment reported by a partner")
        verbose_name_plural = _("payments reported by partners")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(commission__gte=0),
                                   name="handedleadpayment_positive"),
        ]

    def __str__(self):
        return f"{self.handed_lead}: {self.amount} {self.received_on:%Y-%m-%d}"


class PartnerApiToken(models.Model):
    """A token for a partner's own system: it signs in to ``/api/partner/`` only, as the
    partner's login. Only its hash is kept."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="api_tokens",
                                verbose_name=_("partner"))
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner API token")
        verbose_name_plural = _("partner API tokens")

    def __str__(self):
        return f"{self.partner} #{self.pk}"
