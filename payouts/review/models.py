"""What the review sends: one row per (event, recipient), so that nobody is told twice."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An e-mail sent for an event ("run:12:approved") to one person; the unique key is what
    keeps a repeated event (a retried task, a second save) from mailing them again."""

    event = models.CharField(_("event"), max_length=100)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("recipient"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="notification_once"),
        ]

    def __str__(self):
        return f"{self.event} → {self.recipient_id}"


class RunCallPatterns(models.Model):
    """The team month's one aggregate over calls (conversations just over the threshold, quick
    consents per person), kept per computation of a run: read once, then shared by every
    worker and every view of that computation (``review.selectors``)."""

    run = models.ForeignKey("payouts.PayoutRun", on_delete=models.CASCADE, related_name="+",
                            verbose_name=_("run"))
    generation = models.PositiveIntegerField(_("computation"))
    # manager id (as text) → [near threshold, short consents]
    figures = models.JSONField(_("figures"), default=dict)

    class Meta:
        verbose_name = _("call patterns of a run")
        verbose_name_plural = _("call patterns of runs")
        constraints = [
            models.UniqueConstraint(fields=["run", "generation"], name="runcallpatterns_once"),
        ]

    def __str__(self):
        return f"{self.run_id} #{self.generation}"
