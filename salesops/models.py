"""Who works the sales floor and what they did (SPEC §1–2)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .inputs.guard import PayInput, PayInputManager


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
    """How far a call got, ordered (SPEC §2): a larger value is a better outcome.

    Telephony knows only whether somebody picked up (no answer / answered); the later
    statuses are what an operator or a dialer's script records. An answered call whose dialog
    status nobody gave is ``ANSWERED``, never guessed to be a secretary (migration 0010
    renumbered the stored values when it was added)."""

    NO_ANSWER = 0, _("No answer")
    ANSWERED = 1, _("Answered, dialog status not given")
    SECRETARY = 2, _("Secretary")
    DECISION_MAKER = 3, _("Decision maker reached")
    PRESENTATION = 4, _("Presentation given")
    CONSENT = 5, _("Consent")


# A conversation is a call with at least this much talk (SPEC §2); a plan may set its own.
CONVERSATION_THRESHOLD_S = 15


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
        # Read but not started: the admin confirms which column holds what (salesops.imports).
        MAPPING = "mapping", _("Waiting for the column mapping")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        ROLLED_BACK = "rolled_back", _("Rolled back")

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
    # Import options (salesops.imports): the stored file, how to read it, whether to write.
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    preset = models.CharField(
        _("preset"), max_length=64, blank=True,
        help_text=_("Empty: detected from the file's shape and header names."),
    )
    time_zone = models.CharField(
        _("time zone of the file"), max_length=64, blank=True,
        help_text=_("Empty: the organisation's time zone."),
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    message = models.TextField(_("message"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Progress, committed with each chunk: a re-run resumes after ``rows_read`` records.
    bytes_total = models.BigIntegerField(_("file size, bytes"), default=0)
    bytes_read = models.BigIntegerField(_("bytes read"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    present_count = models.PositiveIntegerField(_("already present"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # Calls of open months that a re-import changed (undone by a rollback), and calls of
    # approved or paid months it did not change but reported as conflicts.
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    conflict_count = models.PositiveIntegerField(_("conflicts"), default=0)
    # Written with every committed chunk: a running batch whose heartbeat is old lost its
    # worker, and the import watchdog drives it again.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # A column mapping chosen by the admin (salesops.imports.mapping.ColumnMapping); empty:
    # the layout is recognised from the file.
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    # The file's first rows as the worker read them (salesops.imports.sample): the pages show
    # them without opening the file.
    sample = models.JSONField(_("first rows"), default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")

    def __str__(self):
        return f"{self.source}: {self.file_name or self.pk}"


class ImportRowError(models.Model):
    """A row of an import file that was not imported, and why (file, line, column, value)."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="row_errors",
        verbose_name=_("import batch"),
    )
    line = models.PositiveIntegerField(_("line"))
    column = models.CharField(_("column"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=500, blank=True)
    reason = models.CharField(_("reason"), max_length=300)

    class Kind(models.TextChoices):
        """Errors an admin fixes by mapping a value, told apart from any other bad row."""

        OTHER = "", _("Other")
        UNKNOWN_MANAGER = "manager", _("Unknown manager")
        UNKNOWN_STATUS = "status", _("Unknown status")

    # A database default too: the loaders insert errors with SQL of their own.
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, blank=True,
                            default=Kind.OTHER, db_default=Kind.OTHER)

    class Meta:
        ordering = ["batch", "line", "pk"]
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")
        indexes = [models.Index(fields=["batch", "line"], name="importrowerror_batch_line")]

    def __str__(self):
        return f"{self.line}: {self.reason}"


class ImportConflict(models.Model):
    """A call that a re-import would change in an approved or paid month: history is kept,
    and the new version waits here for an admin to accept it (then it reaches pay as an
    adjustment in the next open month, SPEC §6.5)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="conflicts",
        verbose_name=_("import batch"),
    )
    call = models.ForeignKey(
        "CallLog", on_delete=models.CASCADE, related_name="import_conflicts",
        verbose_name=_("call"),
    )
    line = models.PositiveIntegerField(_("line"))
    old_manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="+", verbose_name=_("manager before")
    )
    new_manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="+", verbose_name=_("manager in the file")
    )
    old_started_at = models.DateTimeField(_("started before"))
    new_started_at = models.DateTimeField(_("started in the file"))
    old_duration_s = models.PositiveIntegerField(_("duration before, s"))
    new_duration_s = models.PositiveIntegerField(_("duration in the file, s"))
    old_talk_s = models.PositiveIntegerField(_("talk before, s"))
    new_talk_s = models.PositiveIntegerField(_("talk in the file, s"))
    old_outcome = models.PositiveSmallIntegerField(_("outcome before"), choices=Outcome.choices)
    new_outcome = models.PositiveSmallIntegerField(
        _("outcome in the file"), choices=Outcome.choices
    )
    new_direction = models.CharField(_("direction in the file"), max_length=3)
    new_phone = models.CharField(_("phone in the file"), max_length=32, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["batch", "line"]
        verbose_name = _("import conflict")
        verbose_name_plural = _("import conflicts")
        constraints = [
            models.UniqueConstraint(fields=["batch", "call"], name="importconflict_batch_call"),
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.line}"


class ImportCallChange(models.Model):
    """What a call was before a re-import changed it (open months only): a rollback of the
    batch puts these values back."""

    batch = models.ForeignKey(
        ImportBatch, on_delete=models.CASCADE, related_name="call_changes",
        verbose_name=_("import batch"),
    )
    call = models.ForeignKey(
        "CallLog", on_delete=models.CASCADE, related_name="+", verbose_name=_("call")
    )
    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="+", verbose_name=_("manager")
    )
    started_at = models.DateTimeField(_("started at"))
    duration_s = models.PositiveIntegerField(_("duration, s"))
    talk_s = models.PositiveIntegerField(_("talk, s"))
    direction = models.CharField(_("direction"), max_length=3)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    outcome = models.PositiveSmallIntegerField(_("outcome"), choices=Outcome.choices)

    class Meta:
        verbose_name = _("call changed by an import")
        verbose_name_plural = _("calls changed by imports")
        constraints = [
            models.UniqueConstraint(fields=["batch", "call"], name="importcallchange_batch_call"),
        ]

    def __str__(self):
        return f"{self.batch_id}:{self.call_id}"


class ImportPreset(models.Model):
    """A column mapping saved by an admin, used like the built-in presets (salesops.imports)."""

    name = models.SlugField(_("name"), max_length=64, unique=True)
    label = models.CharField(_("label"), max_length=200)
    has_header = models.BooleanField(_("the file has a header row"), default=True)
    # A report's title (and blank rows) above the header, as the admin chose on the mapping
    # screen; a preset by header names finds its header among the first rows in any case.
    skip_rows = models.PositiveSmallIntegerField(
        _("rows above the header"), default=0,
        help_text=_("Rows with content above the header row (or above the data, without a "
                    "header): a report's title, a date range."),
    )
    # Day or month first in the file's dates, as the admin chose it for a column that reads
    # both ways ("12/03/2026"); empty: told by the file's values.
    date_order = models.CharField(
        _("order of day and month"), max_length=3, blank=True,
        choices=[("dmy", _("day first (DD/MM/YYYY)")), ("mdy", _("month first (MM/DD/YYYY)"))],
    )
    source = models.CharField(_("telephony source"), max_length=64)
    columns = models.JSONField(
        _("columns"), default=dict,
        help_text=_("Field → header name, or column number (from 1) for files without a header."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("import preset")
        verbose_name_plural = _("import presets")

    def __str__(self):
        return self.label


class StatusMapping(models.Model):
    """What a telephony status value means as a call outcome (SPEC §2), per preset."""

    preset = models.CharField(
        _("preset"), max_length=64, blank=True, help_text=_("Empty: any preset.")
    )
    value = models.CharField(_("status value"), max_length=100)
    outcome = models.PositiveSmallIntegerField(_("outcome"), choices=Outcome.choices)

    class Meta:
        ordering = ["preset", "value"]
        verbose_name = _("status mapping")
        verbose_name_plural = _("status mappings")
        constraints = [
            models.UniqueConstraint(fields=["preset", "value"], name="statusmapping_preset_value")
        ]

    def __str__(self):
        return f"{self.preset or '*'}: {self.value} → {self.get_outcome_display()}"


class ManagerAlias(models.Model):
    """Another name telephony uses for a manager (an agent id, an old extension)."""

    value = models.CharField(
        _("value in the file"), max_length=150, unique=True,
        help_text=_("Compared without regard to case."),
    )
    manager = models.ForeignKey(
        Manager, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("manager")
    )

    class Meta:
        ordering = ["value"]
        verbose_name = _("manager alias")
        verbose_name_plural = _("manager aliases")

    def __str__(self):
        return f"{self.value} → {self.manager}"


class CallLog(PayInput, models.Model):
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

    objects = PayInputManager()

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


class WorkShift(PayInput, models.Model):
    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="shifts", verbose_name=_("manager")
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))

    objects = PayInputManager()

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


class MonthlyPlan(PayInput, models.Model):
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

    objects = PayInputManager()

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


class DailyManagerStats(models.Model):
    """A manager's calls on one day of the organisation's calendar, kept for the dashboard.

    Refreshed by imports for the days they touch; the calls themselves stay the truth.
    """

    manager = models.ForeignKey(
        Manager, on_delete=models.CASCADE, related_name="daily_stats", verbose_name=_("manager")
    )
    day = models.DateField(_("day"))
    calls = models.PositiveIntegerField(_("calls"), default=0)
    conversations = models.PositiveIntegerField(_("conversations"), default=0)
    talk_s = models.PositiveBigIntegerField(_("talk, s"), default=0)
    operator_s = models.PositiveBigIntegerField(_("operator time, s"), default=0)
    # The conversation threshold the row was counted with (the plan's, as pay counts): a
    # computation of the month recounts rows counted with another (the plan changed since).
    threshold_s = models.PositiveIntegerField(
        _("conversation threshold, s"), default=CONVERSATION_THRESHOLD_S)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("daily manager statistics")
        verbose_name_plural = _("daily manager statistics")
        constraints = [
            models.UniqueConstraint(fields=["manager", "day"], name="dailymanagerstats_unique")
        ]

    def __str__(self):
        return f"{self.manager} {self.day}"


# The pay-input write layer's rows (audit trail, change marks, dated membership): defined in
# ``salesops.inputs.models``, part of this app.
from .inputs.models import (  # noqa: E402,F401
    AuditEntry,
    LockedPeriod,
    PayoutInputChange,
    TeamMembership,
)
