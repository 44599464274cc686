"""Who works the sales floor and what they did (SPEC §1–2)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    SALES_HEAD = "sales_head", _("Sales head")
    ADMIN = "admin", _("Admin")
    OWNER = "owner", _("Owner")


# The auth group that carries each role's model permissions (created by a migration).
ROLE_GROUPS = {
    Role.MANAGER: "Managers",
    Role.SALES_HEAD: "Sales heads",
    Role.ADMIN: "Admins",
    Role.OWNER: "Owners",
}


class Outcome(models.IntegerChoices):
    """How far a call got, ordered (SPEC §2): a larger value is a better outcome."""

    NO_ANSWER = 0, _("No answer")
    SECRETARY = 1, _("Secretary")
    DECISION_MAKER = 2, _("Decision maker reached")
    PRESENTATION = 3, _("Presentation given")
    CONSENT = 4, _("Consent")


class Direction(models.TextChoices):
    OUTBOUND = "out", _("Outbound")
    INBOUND = "in", _("Inbound")


class Team(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self):
        return self.name


class Manager(models.Model):
    """A person on the sales floor (or above it), tied one-to-one to a login."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="manager",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MANAGER)
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="members",
        verbose_name=_("team"),
    )
    # Telephony identifiers, used to match a call row to its manager.
    extension = models.CharField(_("extension"), max_length=32, blank=True)
    telephony_login = models.CharField(_("telephony login"), max_length=150, blank=True)
    telephony_email = models.EmailField(_("telephony e-mail"), blank=True)
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active to"), null=True, blank=True)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        verbose_name = _("manager")
        verbose_name_plural = _("managers")
        constraints = [
            models.UniqueConstraint(
                fields=["extension"], condition=~Q(extension=""),
                name="manager_extension_unique",
            ),
            models.UniqueConstraint(
                fields=["telephony_login"], condition=~Q(telephony_login=""),
                name="manager_telephony_login_unique",
            ),
            models.UniqueConstraint(
                fields=["telephony_email"], condition=~Q(telephony_email=""),
                name="manager_telephony_email_unique",
            ),
            models.CheckConstraint(
                condition=Q(active_to__isnull=True) | Q(active_to__gte=F("active_from")),
                name="manager_active_dates_ordered",
            ),
            # Managers and sales heads belong to a team; admins and owners see everything.
            models.CheckConstraint(
                condition=Q(role__in=[Role.ADMIN, Role.OWNER]) | Q(team__isnull=False),
                name="manager_floor_roles_have_team",
            ),
        ]

    def __str__(self):
        return self.user.get_full_name() or self.user.get_username()


class ImportBatch(models.Model):
    """One file (or one generator run) that brought calls in; calls point back at it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    source = models.CharField(_("telephony source"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self):
        return f"{self.source}: {self.file_name or self.pk}"


class CallLog(models.Model):
    """One call as telephony reported it (SPEC §2). A call counts once per source (SPEC §6.1)."""

    source = models.CharField(_("telephony source"), max_length=64)
    external_id = models.CharField(_("external id"), max_length=128)
    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="calls", verbose_name=_("manager")
    )
    started_at = models.DateTimeField(_("started at"))
    duration_s = models.PositiveIntegerField(_("duration, s"))
    talk_s = models.PositiveIntegerField(_("talk, s"))
    wrapup_s = models.PositiveIntegerField(_("wrap-up, s"), default=0)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.OUTBOUND
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    outcome = models.PositiveSmallIntegerField(
        _("outcome"), choices=Outcome.choices, default=Outcome.NO_ANSWER
    )
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="calls",
        verbose_name=_("import batch"),
    )

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="calllog_source_external_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(duration_s__gte=0) & Q(talk_s__gte=0) & Q(wrapup_s__gte=0),
                name="calllog_durations_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(talk_s__lte=F("duration_s")), name="calllog_talk_within_duration"
            ),
        ]
        indexes = [
            models.Index(fields=["manager", "started_at"], name="calllog_manager_started"),
            models.Index(fields=["started_at"], name="calllog_started"),
            models.Index(fields=["batch"], name="calllog_batch"),
        ]

    def __str__(self):
        return f"{self.source}:{self.external_id}"

    @property
    def operator_s(self) -> int:
        """Operator seconds (SPEC §2): the operator's whole time on this call."""
        return self.duration_s + self.wrapup_s


class WorkShift(models.Model):
    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("manager")
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("work shift")
        verbose_name_plural = _("work shifts")
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "started_at"], name="workshift_manager_start_unique"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gt=F("started_at")), name="workshift_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["started_at"], name="workshift_started")]

    def __str__(self):
        return f"{self.manager} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def hours(self):
        return (self.ended_at - self.started_at).total_seconds() / 3600


class MonthlyPlan(models.Model):
    """A manager's targets for one calendar month; attainment = actual / target (SPEC §2)."""

    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="plans", verbose_name=_("manager")
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    target_conversations = models.PositiveIntegerField(_("conversations target"), default=0)
    target_confirmed_leads = models.PositiveIntegerField(_("confirmed leads target"), default=0)
    target_revenue = models.DecimalField(
        _("revenue target"), max_digits=14, decimal_places=2, default=0
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("monthly plan")
        verbose_name_plural = _("monthly plans")
        constraints = [
            models.UniqueConstraint(fields=["manager", "month"], name="monthlyplan_manager_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="monthlyplan_month_first_day"),
            models.CheckConstraint(
                condition=Q(target_revenue__gte=0), name="monthlyplan_revenue_non_negative"
            ),
        ]

    def __str__(self):
        return f"{self.manager} {self.month:%Y-%m}"
