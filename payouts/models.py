"""Compensation plans, payout runs and their lines (SPEC §4, §6, §7).

A plan is a family of versions; a version takes effect from the first day of a month and is
never edited once a locked run used it (past months keep the version that applied). A payout
run is one team's month; its lines are what each person is paid, and the ledger of paid items
(``PaidItem``) is what the database uses to refuse paying a lead's milestone or a payment twice.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from leads.models import LeadSource
from salesops.inputs.guard import PayInput, PayInputManager
from salesops.models import CONVERSATION_THRESHOLD_S, Manager, Outcome, Team

MONEY = {"max_digits": 14, "decimal_places": 2}


class FiguresJSONEncoder(DjangoJSONEncoder):
    """Stores the engine's typed figures (``engine.facts.MonthFacts``) as their JSON."""

    def default(self, o):
        to_json = getattr(o, "to_json", None)
        if callable(to_json):
            return to_json()
        return super().default(o)
RATE = {"max_digits": 14, "decimal_places": 4}


class ComponentKind(models.TextChoices):
    PER_MINUTE = "per_minute", _("Per operator minute")
    PER_HOUR = "per_hour", _("Per shift hour")
    DIFFERENTIATED_MINUTES = "differentiated_minutes", _("Differentiated minutes")
    PER_CONVERSATION = "per_conversation", _("Per conversation")
    PER_EFFECTIVE_CALL = "per_effective_call", _("Per effective call")
    PER_CONFIRMED_LEAD = "per_confirmed_lead", _("Per confirmed lead")
    PER_ARRIVED_CLIENT = "per_arrived_client", _("Per arrived client")
    REVENUE_PERCENT = "revenue_percent", _("Percent of revenue")
    PLAN_BASE = "plan_base", _("Base pay for the conversation plan")
    TEAM_BONUS = "team_bonus", _("Sales head's team bonus")


# What a payout line is about: a component, or the month's cap (SPEC §4 caps).
LineKind = models.TextChoices(
    "LineKind",
    [(kind.name, (kind.value, kind.label)) for kind in ComponentKind]
    + [("MONTHLY_CAP", ("monthly_cap", _("Monthly cap")))],
)


class MinuteRounding(models.TextChoices):
    EXACT = "exact", _("Exact: seconds / 60")
    PER_CALL_UP = "per_call_up", _("Each call rounded up to whole minutes")


class BaseMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("All or nothing at 100%")
    LINEAR = "linear", _("Linear, capped at 100%")


class TeamMetric(models.TextChoices):
    CONVERSATIONS = "conversations", _("Conversations")
    REVENUE = "revenue", _("Revenue")


class CompensationPlan(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("compensation plan")
        verbose_name_plural = _("compensation plans")

    def __str__(self):
        return self.name


class PlanVersion(models.Model):
    """One version of a plan, in effect from ``effective_from`` until the next version."""

    plan = models.ForeignKey(
        CompensationPlan, on_delete=models.PROTECT, related_name="versions",
        verbose_name=_("plan"),
    )
    number = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("effective from"), help_text=_("The first of a month."))
    conversation_threshold_s = models.PositiveIntegerField(
        _("conversation threshold, s"), default=CONVERSATION_THRESHOLD_S
    )
    minute_rounding = models.CharField(
        _("minutes"), max_length=16, choices=MinuteRounding.choices, default=MinuteRounding.EXACT
    )
    monthly_cap = models.DecimalField(_("monthly cap"), **MONEY, null=True, blank=True)
    clawback_days = models.PositiveIntegerField(_("clawback window, days"), default=60)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["plan", "-effective_from"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planversion_plan_number"),
            models.UniqueConstraint(
                fields=["plan", "effective_from"], name="planversion_plan_effective_from"
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="planversion_starts_on_first"
            ),
            models.CheckConstraint(
                condition=Q(monthly_cap__isnull=True) | Q(monthly_cap__gte=0),
                name="planversion_cap_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.plan} v{self.number} ({self.effective_from:%Y-%m})"


class PlanComponent(models.Model):
    """One way of paying inside a plan version (SPEC §4). What ``rate`` means depends on kind:
    money per minute / hour / item, or a percent for ``revenue_percent`` and percent team bonus.
    """

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="components",
        verbose_name=_("plan version"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ComponentKind.choices)
    rate = models.DecimalField(_("rate"), **RATE, default=0)
    amount = models.DecimalField(
        _("fixed amount"), **MONEY, null=True, blank=True,
        help_text=_("plan_base and a fixed team bonus: the amount at 100% attainment."),
    )
    base_mode = models.CharField(
        _("scaling"), max_length=16, choices=BaseMode.choices, default=BaseMode.LINEAR
    )
    floor_percent = models.DecimalField(
        _("floor, %"), max_digits=6, decimal_places=2, null=True, blank=True,
        help_text=_("Below this attainment the component pays nothing."),
    )
    team_metric = models.CharField(
        _("team metric"), max_length=16, choices=TeamMetric.choices,
        default=TeamMetric.CONVERSATIONS,
    )
    cap = models.DecimalField(_("cap per month"), **MONEY, null=True, blank=True)

    class Meta:
        ordering = ["version", "kind"]
        verbose_name = _("plan component")
        verbose_name_plural = _("plan components")
        constraints = [
            models.UniqueConstraint(fields=["version", "kind"], name="plancomponent_version_kind"),
            models.CheckConstraint(
                condition=Q(rate__gte=0), name="plancomponent_rate_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(cap__gte=0), name="plancomponent_cap_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(floor_percent__isnull=True)
                | (Q(floor_percent__gte=0) & Q(floor_percent__lte=100)),
                name="plancomponent_floor_0_100",
            ),
        ]

    def __str__(self):
        return f"{self.version}: {self.get_kind_display()}"


class ComponentRate(models.Model):
    """A rate for one key: an outcome (differentiated minutes) or a lead source (revenue)."""

    component = models.ForeignKey(
        PlanComponent, on_delete=models.CASCADE, related_name="rates",
        verbose_name=_("component"),
    )
    outcome = models.PositiveSmallIntegerField(
        _("outcome"), choices=Outcome.choices, null=True, blank=True
    )
    lead_source = models.CharField(
        _("lead source"), max_length=20, choices=LeadSource.choices, blank=True
    )
    rate = models.DecimalField(_("rate"), **RATE)

    class Meta:
        verbose_name = _("rate")
        verbose_name_plural = _("rates")
        constraints = [
            models.UniqueConstraint(
                fields=["component", "outcome"], condition=Q(outcome__isnull=False),
                name="componentrate_outcome_once",
            ),
            models.UniqueConstraint(
                fields=["component", "lead_source"], condition=~Q(lead_source=""),
                name="componentrate_source_once",
            ),
            # Exactly one key: an outcome or a lead source.
            models.CheckConstraint(
                condition=(Q(outcome__isnull=False) & Q(lead_source=""))
                | (Q(outcome__isnull=True) & ~Q(lead_source="")),
                name="componentrate_one_key",
            ),
            models.CheckConstraint(condition=Q(rate__gte=0), name="componentrate_non_negative"),
        ]

    def __str__(self):
        key = self.get_outcome_display() if self.outcome is not None else self.lead_source
        return f"{key}: {self.rate}"


class RevenueTier(models.Model):
    """A marginal band of revenue-plan attainment, [from, to) percent (SPEC §8 example 5)."""

    component = models.ForeignKey(
        PlanComponent, on_delete=models.CASCADE, related_name="tiers",
        verbose_name=_("component"),
    )
    from_percent = models.DecimalField(_("from, %"), max_digits=7, decimal_places=2)
    to_percent = models.DecimalField(
        _("to, %"), max_digits=7, decimal_places=2, null=True, blank=True,
        help_text=_("Empty: no upper bound."),
    )
    rate = models.DecimalField(_("rate, %"), **RATE)

    class Meta:
        ordering = ["component", "from_percent"]
        verbose_name = _("revenue tier")
        verbose_name_plural = _("revenue tiers")
        constraints = [
            models.UniqueConstraint(
                fields=["component", "from_percent"], name="revenuetier_component_from"
            ),
            models.CheckConstraint(
                condition=Q(to_percent__isnull=True) | Q(to_percent__gt=F("from_percent")),
                name="revenuetier_band_ordered",
            ),
            models.CheckConstraint(
                condition=Q(from_percent__gte=0) & Q(rate__gte=0),
                name="revenuetier_non_negative",
            ),
        ]

    def __str__(self):
        return f"{self.from_percent}–{self.to_percent or '∞'}%: {self.rate}%"


class PlanAssignment(models.Model):
    """Who is paid by a plan, from a month on: a manager, or every member of a team.
    A manager's own assignment wins over the team's."""

    plan = models.ForeignKey(
        CompensationPlan, on_delete=models.PROTECT, related_name="assignments",
        verbose_name=_("plan"),
    )
    manager = models.ForeignKey(
        Manager, on_delete=models.CASCADE, null=True, blank=True,
        related_name="plan_assignments", verbose_name=_("manager"),
    )
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True,
        related_name="plan_assignments", verbose_name=_("team"),
    )
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("plan assignment")
        verbose_name_plural = _("plan assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(manager__isnull=False, team__isnull=True)
                | Q(manager__isnull=True, team__isnull=False),
                name="planassignment_manager_xor_team",
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="planassignment_starts_on_first"
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                name="planassignment_dates_ordered",
            ),
        ]

    def __str__(self):
        return _("%(plan)s → %(who)s from %(month)s") % {
            "plan": self.plan, "who": self.manager or self.team,
            "month": f"{self.effective_from:%m.%Y}"}


class PayoutRun(models.Model):
    """One team's month of pay (SPEC §7)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COMPUTED = "computed", _("Computed")
        APPROVED = "approved", _("Approved")
        PAID = "paid", _("Paid")
        # A computation stopped for a reason a retry cannot fix (SPEC §7): shown with the
        # reason; computed again when its inputs change, never re-driven by the watchdog.
        FAILED = "failed", _("Failed")

    month = models.DateField(_("month"))
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="payout_runs", verbose_name=_("team")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # Each request to compute bumps the generation; a manager task of an older generation
    # is stale and does nothing (SPEC §6.4: repeated or concurrent computations never double).
    generation = models.PositiveIntegerField(_("computation"), default=0)
    managers_total = models.PositiveIntegerField(_("managers"), default=0)
    team_facts = models.JSONField(
        _("team figures"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("requested by"),
    )
    computed_at = models.DateTimeField(_("computed at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    # When the current computation (full or incremental) started: with the members'
    # ``finished_at``, the heartbeat the watchdog reads.
    started_at = models.DateTimeField(_("computation started at"), null=True, blank=True)
    # The watchdog's claim on a stalled computation: re-driven only by whoever moves the
    # counter from the value it read (payouts.tasks.payout_runs_watchdog).
    redrives = models.PositiveIntegerField(_("re-driven"), default=0)
    redriven_at = models.DateTimeField(_("re-driven at"), null=True, blank=True)
    failure = models.TextField(_("why the computation failed"), blank=True)

    class Meta:
        ordering = ["-month", "team__name"]
        verbose_name = _("payout run")
        verbose_name_plural = _("payout runs")
        permissions = [("approve_payoutrun", _("Can approve payout runs"))]
        constraints = [
            models.UniqueConstraint(fields=["month", "team"], name="payoutrun_month_team"),
            models.CheckConstraint(condition=Q(month__day=1), name="payoutrun_month_first_day"),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "paid"]) | Q(approved_by__isnull=False),
                name="payoutrun_locked_has_approver",
            ),
        ]

    def __str__(self):
        return f"{self.team} {self.month:%Y-%m} ({self.get_status_display()})"

    @property
    def is_locked(self) -> bool:
        return self.status in LOCKED_STATUSES


LOCKED_STATUSES = (PayoutRun.Status.APPROVED, PayoutRun.Status.PAID)


class PayoutRunTransition(models.Model):
    """Every status change of a run, as a row: who, when, from, to (SPEC §7)."""

    run = models.ForeignKey(
        PayoutRun, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("run")
    )
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["run", "at", "pk"]
        verbose_name = _("run status change")
        verbose_name_plural = _("run status changes")

    def __str__(self):
        labels = dict(PayoutRun.Status.choices)
        return (f"{self.run}: {labels.get(self.from_status, self.from_status) or '∅'} → "
                f"{labels.get(self.to_status, self.to_status)}")


class PayoutRunManager(models.Model):
    """One person's share of a run: the figures gathered for them and whether it is done.

    The row is also the lock that serialises two computations of the same person's lines.
    """

    run = models.ForeignKey(
        PayoutRun, on_delete=models.CASCADE, related_name="members", verbose_name=_("run")
    )
    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="+", verbose_name=_("manager")
    )
    plan_version = models.ForeignKey(
        PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("plan version"),
    )
    facts = models.JSONField(
        _("figures"), default=dict, blank=True, encoder=FiguresJSONEncoder
    )
    done_generation = models.PositiveIntegerField(_("done for computation"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The sum of the person's input-change versions (``PayoutInputChange``) for the months this
    # share reads, taken before its figures were gathered: more now means stale (SPEC §7).
    inputs_version = models.PositiveBigIntegerField(_("inputs seen"), default=0)
    # What the plan version said when the share was computed (its components, rates and
    # tiers): a version edited in place since then makes the share stale too.
    plan_fingerprint = models.CharField(_("plan as computed"), max_length=40, blank=True)
    # The days of the month the person spent in the run's team (SPEC §1 dated membership):
    # [["2026-11-01", "2026-11-16"], …], ends excluded. Empty: the whole month (older runs).
    days = models.JSONField(_("days in the team"), default=list, blank=True)
    # The version of each month's change marks the figures were gathered after
    # ({"2026-11-01": 7, …}): a locked month whose marks have not moved since the last
    # computation that paid or adjusted it needs no adjustment (SPEC §6.5).
    inputs_seen = models.JSONField(_("inputs seen by month"), default=dict, blank=True)
    # Late data of the person's locked months that this share pays as adjustments: each
    # locked share's figures gathered again now, with the runs that adjusted it before.
    adjustments = models.JSONField(
        _("locked months to adjust"), default=list, blank=True, encoder=FiguresJSONEncoder)

    class Meta:
        ordering = ["run", "manager"]
        verbose_name = _("run member")
        verbose_name_plural = _("run members")
        constraints = [
            models.UniqueConstraint(fields=["run", "manager"], name="payoutrunmanager_once"),
        ]

    def __str__(self):
        return f"{self.run}: {self.manager}"


class PayoutLine(models.Model):
    """One amount paid to one person, with what it is for and why (SPEC §4)."""

    run = models.ForeignKey(
        PayoutRun, on_delete=models.CASCADE, related_name="lines", verbose_name=_("run")
    )
    # The run's month, repeated so that the database can keep one line per key and month.
    month = models.DateField(_("month"))
    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="payout_lines", verbose_name=_("manager")
    )
    plan_version = models.ForeignKey(
        PlanVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("plan version"),
    )
    kind = models.CharField(_("component"), max_length=32, choices=LineKind.choices)
    # What distinguishes lines of one kind: an outcome, a source, a tier, "cap", "clawback",
    # or "adj:YYYY-MM:<key>" for an adjustment of a locked month.
    key = models.CharField(_("key"), max_length=80, blank=True)
    adjusts_month = models.DateField(_("adjusts month"), null=True, blank=True)
    # The locked run whose share of the person's month an adjustment line corrects (with
    # dated teams a month may have two); empty on lines written before it existed.
    adjusts_run = models.ForeignKey(
        "PayoutRun", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("adjusts run"),
    )
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    rate = models.DecimalField(_("rate"), **RATE, null=True, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    # Held lines are shown but not paid until a pending decision is made (SPEC §5 exceptions).
    held = models.BooleanField(_("held"), default=False)
    explanation = models.JSONField(
        _("explanation"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )

    class Meta:
        ordering = ["run", "manager", "kind", "key"]
        verbose_name = _("payout line")
        verbose_name_plural = _("payout lines")
        constraints = [
            # SPEC §6.4: however often or concurrently a run is computed, one line per key. A
            # person who changed team in the month has a share in each team's run (SPEC §1):
            # their days are disjoint, and a lead or payment is paid once by the ledger.
            models.UniqueConstraint(
                fields=["run", "manager", "kind", "key"], name="payoutline_once_per_run"
            ),
        ]
        indexes = [models.Index(fields=["run", "manager"], name="payoutline_run_manager")]

    def __str__(self):
        from .earnings.selectors import line_detail

        detail = line_detail(self.kind, self.key)
        return (f"{self.manager}: {self.get_kind_display()}"
                + (f" ({detail})" if detail else "") + f", {self.amount}")


class Decision(models.TextChoices):
    """What the decision step made of a counted item (SPEC §5, §6.3; ``engine.decisions``)."""

    PAYABLE = "payable", _("Payable")
    HELD = "held", _("Held until a pending decision is made")
    OVERRIDDEN = "overridden", _("Paid as an approved exception says")
    NOT_OURS = "not_ours", _("Duplicate resolved to another lead")


class LineItemSource(models.TextChoices):
    CALL = "call", _("Call")
    MILESTONE = "milestone", _("Lead milestone")
    PAYMENT = "payment", _("Payment")


class PayoutLineItem(models.Model):
    """One source row a payout line counted: a lead's milestone, a payment (or refund), or a
    call, with its share of the line and the decision that touched it (SPEC §4 explainability).

    Holds, an exception's amount at stake and the drill-down of a line are queries over these
    rows. Lines counted from calls or shifts (millions of rows a month) have no item rows: no
    decision can touch a call (it carries no lead), so their rows are found again by the query
    their explanation keeps (``selectors.payout_line_source_rows``); writing 3.3 M call rows a
    month would cost more than the whole computation. ``call`` is here for the day a decision
    does reach a call; such a row would be written only for the calls it touches.
    """

    line = models.ForeignKey(
        PayoutLine, on_delete=models.CASCADE, related_name="items", verbose_name=_("line")
    )
    source = models.CharField(_("source"), max_length=16, choices=LineItemSource.choices)
    call = models.ForeignKey(
        "salesops.CallLog", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("call"),
    )
    milestone = models.ForeignKey(
        "leads.LeadMilestone", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("milestone"),
    )
    payment = models.ForeignKey(
        "leads.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("payment"),
    )
    # A count of items (1 per milestone or call, -1 for a clawback) or, for a payment, the
    # revenue the line counted from it.
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4)
    # The item's share of its line; the shares of a line add up to the line's amount exactly.
    # An adjustment line's items are the rows it newly counts, at what they earn now.
    amount = models.DecimalField(_("amount"), **MONEY)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices)
    exception = models.ForeignKey(
        "CommissionException", on_delete=models.PROTECT, null=True, blank=True,
        related_name="line_items", verbose_name=_("exception"),
    )
    # An item an approved exception decided: what the plan would have paid it (its share).
    plan_amount = models.DecimalField(_("the plan would pay"), **MONEY, null=True, blank=True)

    class Meta:
        ordering = ["line", "pk"]
        verbose_name = _("payout line item")
        verbose_name_plural = _("payout line items")
        constraints = [
            # Exactly one source row, the one its kind names.
            models.CheckConstraint(
                condition=Q(source="call", call__isnull=False, milestone__isnull=True,
                            payment__isnull=True)
                | Q(source="milestone", call__isnull=True, milestone__isnull=False,
                    payment__isnull=True)
                | Q(source="payment", call__isnull=True, milestone__isnull=True,
                    payment__isnull=False),
                name="payoutlineitem_one_source",
            ),
            # An override is always some approved exception's.
            models.CheckConstraint(
                condition=~Q(decision="overridden") | Q(exception__isnull=False),
                name="payoutlineitem_override_has_exception",
            ),
        ]

    def __str__(self):
        return f"{self.source} → line {self.line_id}: {self.amount} ({self.decision})"


class PaidItemKind(models.TextChoices):
    LEAD = "lead", _("Lead milestone")
    LEAD_CLAWBACK = "lead_clawback", _("Lead milestone clawback")
    PAYMENT = "payment", _("Payment")
    # A commission exception's fixed amount, paid once (SPEC §5, §6.2).
    EXCEPTION = "exception", _("Commission exception")
    # A commission moved to another person (SPEC §6.7): taken from one, given to the other,
    # each once.
    TRANSFER_OUT = "transfer_out", _("Commission moved away")
    TRANSFER_IN = "transfer_in", _("Commission moved in")


class PaidItem(models.Model):
    """The ledger of source items that earned pay: a lead's milestone component or a payment.

    SPEC §6.2: a lead pays each milestone component once in its life, so the key has no month
    and no beneficiary; a payment earns revenue percent once; a clawback happens once.
    """

    run = models.ForeignKey(
        PayoutRun, on_delete=models.CASCADE, related_name="paid_items", verbose_name=_("run")
    )
    manager = models.ForeignKey(
        Manager, on_delete=models.PROTECT, related_name="+", verbose_name=_("beneficiary")
    )
    component_kind = models.CharField(_("component"), max_length=32, choices=LineKind.choices)
    item_kind = models.CharField(_("item"), max_length=16, choices=PaidItemKind.choices)
    item_id = models.BigIntegerField(_("item id"))
    month = models.DateField(_("month"))
    # When the milestone happened and what it earned: the clawback window and amount need them.
    at = models.DateTimeField(_("at"), null=True, blank=True)
    rate = models.DecimalField(_("rate"), **RATE, null=True, blank=True)

    class Meta:
        verbose_name = _("paid item")
        verbose_name_plural = _("paid items")
        constraints = [
            models.UniqueConstraint(
                fields=["component_kind", "item_kind", "item_id"], name="paiditem_once_ever"
            ),
        ]
        indexes = [models.Index(fields=["run", "manager"], name="paiditem_run_manager")]

    def __str__(self):
        return f"{self.component_kind} {self.item_kind}#{self.item_id}"


class ExceptionKind(models.TextChoices):
    RATE = "rate", _("Another rate for this lead")
    FIXED = "fixed", _("A fixed amount")
    EXCLUDE = "exclude", _("Exclude from pay")
    PARTNER_CREDIT = "partner_credit", _("Credit a partner on a duplicate")
    # SPEC §6.7: what an approved month paid for the lead moves to another person — one
    # decision, a negative adjustment for one and a positive one for the other.
    TRANSFER = "transfer", _("Move the commission already paid to another person")


class ExceptionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class CommissionException(PayInput, models.Model):
    """A request to change what one lead pays (SPEC §5), decided by someone else (maker-checker).

    While pending, the affected amount is held; approval of a run waits for the decision.
    """

    lead = models.ForeignKey(
        "leads.Lead", on_delete=models.PROTECT, related_name="commission_exceptions",
        verbose_name=_("lead"),
    )
    component_kind = models.CharField(
        _("component"), max_length=32, choices=ComponentKind.choices,
        default=ComponentKind.REVENUE_PERCENT,
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ExceptionKind.choices)
    rate = models.DecimalField(_("rate"), **RATE, null=True, blank=True)
    amount = models.DecimalField(_("fixed amount"), **MONEY, null=True, blank=True)
    partner = models.ForeignKey(
        "leads.Partner", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("partner to credit"),
    )
    transfer_to = models.ForeignKey(
        Manager, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("move to"),
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=ExceptionStatus.choices,
        default=ExceptionStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    objects = PayInputManager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("commission exception")
        verbose_name_plural = _("commission exceptions")
        permissions = [("approve_commissionexception", _("Can approve commission exceptions"))]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="exception_reason_required"),
            # Maker-checker, kept by the database as well as by the service (SPEC §5).
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="exception_checker_is_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="exception_decided_iff_not_pending",
            ),
            models.CheckConstraint(
                condition=(Q(kind="rate") & Q(rate__isnull=False, rate__gte=0))
                | (Q(kind="fixed") & Q(amount__isnull=False))
                | (Q(kind="transfer") & Q(transfer_to__isnull=False))
                | Q(kind__in=["exclude", "partner_credit"]),
                name="exception_kind_has_its_value",
            ),
            # One open request per lead and component: two pending answers would conflict.
            models.UniqueConstraint(
                fields=["lead", "component_kind"], condition=Q(status="pending"),
                name="exception_one_pending_per_lead",
            ),
        ]

    def __str__(self):
        return _("%(kind)s, lead «%(lead)s» (%(status)s)") % {
            "kind": self.get_kind_display(), "lead": self.lead,
            "status": str(self.get_status_display()).lower()}


class PartnerStatement(models.Model):
    """A partner's month (SPEC §5): commissions that became payable in it, clawbacks of
    refunds after payout, adjustments of earlier final months, and what the minimum payout
    carries over.

    ``draft`` → ``final`` (locked once the month has ended) → ``paid``. A final or paid
    statement is never rewritten: a later change to its month lands on the next statement as
    an adjustment line naming that month. The carried balance chains from one statement to the
    next (``carried_from``); on PostgreSQL a trigger keeps final and paid statements and their
    lines as they are (migration 0006).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")
        PAID = "paid", _("Paid")

    partner = models.ForeignKey(
        "leads.Partner", on_delete=models.PROTECT, related_name="statements",
        verbose_name=_("partner"),
    )
    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    carried_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="carried_to",
        verbose_name=_("balance carried from"),
    )
    carried_in = models.DecimalField(_("carried in"), **MONEY, default=0)
    earned = models.DecimalField(_("earned this month"), **MONEY, default=0)
    payable = models.DecimalField(_("payable"), **MONEY, default=0)
    carried_out = models.DecimalField(_("carried over"), **MONEY, default=0)
    computed_at = models.DateTimeField(_("computed at"))
    finalised_at = models.DateTimeField(_("final since"), null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("made final by"),
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("marked paid by"),
    )

    class Meta:
        ordering = ["-month", "partner__name"]
        verbose_name = _("partner statement")
        verbose_name_plural = _("partner statements")
        constraints = [
            models.UniqueConstraint(fields=["partner", "month"], name="partnerstatement_once"),
            models.CheckConstraint(
                condition=Q(month__day=1), name="partnerstatement_month_first_day"
            ),
            models.CheckConstraint(
                condition=Q(payable__gte=0), name="partnerstatement_payable_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", finalised_at__isnull=True, paid_at__isnull=True)
                | Q(status="final", finalised_at__isnull=False, paid_at__isnull=True)
                | Q(status="paid", finalised_at__isnull=False, paid_at__isnull=False,
                    paid_by__isnull=False),
                name="partnerstatement_status_has_its_dates",
            ),
            # The balance carried in is the carried-over balance of the statement it names.
            models.CheckConstraint(
                condition=Q(carried_from__isnull=False) | Q(carried_in=0),
                name="partnerstatement_carried_in_has_source",
            ),
        ]

    def __str__(self):
        return f"{self.partner} {self.month:%Y-%m}: {self.payable}"


class PartnerLineKind(models.TextChoices):
    COMMISSION = "commission", _("Commission")
    CLAWBACK = "clawback", _("Clawback of a refund after payout")
    # A change to a commission already on a final statement (a refund inside the hold recorded
    # late): the difference, on the next statement, naming the month it corrects.
    ADJUSTMENT = "adjustment", _("Adjustment of a final month")


class PartnerStatementLine(models.Model):
    statement = models.ForeignKey(
        PartnerStatement, on_delete=models.CASCADE, related_name="lines",
        verbose_name=_("statement"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerLineKind.choices)
    # The payment that earned the commission, or the refund that claws it back.
    payment = models.ForeignKey(
        "leads.Payment", on_delete=models.PROTECT, related_name="+", verbose_name=_("payment")
    )
    base = models.DecimalField(_("base"), **MONEY)
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), **MONEY)
    payable_on = models.DateField(_("payable on"))
    # The earlier final month this line belongs to and corrects (late data, SPEC §6.5).
    adjusts_month = models.DateField(_("adjusts month"), null=True, blank=True)
    explanation = models.JSONField(
        _("explanation"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )

    class Meta:
        ordering = ["statement", "payable_on", "pk"]
        verbose_name = _("partner statement line")
        verbose_name_plural = _("partner statement lines")
        constraints = [
            # SPEC §6: a payment earns its partner commission once, a refund claws back once.
            models.UniqueConstraint(
                fields=["payment", "kind"], condition=~Q(kind="adjustment"),
                name="partnerline_once_ever",
            ),
            # A payment's commission is corrected at most once per statement.
            models.UniqueConstraint(
                fields=["statement", "payment"], condition=Q(kind="adjustment"),
                name="partnerline_adjustment_once_per_statement",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | Q(adjusts_month__isnull=False),
                name="partnerline_adjustment_names_its_month",
            ),
        ]

    def __str__(self):
        return f"{self.kind} payment #{self.payment_id}: {self.amount}"


class InquiryStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")


class PayoutInquiry(models.Model):
    """A manager's question about a line of their pay (SPEC §7), decided by someone else.

    The line is named by what survives a recomputation — run, manager, component and key —
    because a recomputation writes the month's lines anew; ``line`` points at the line the
    manager saw and is cleared when that row is replaced.
    """

    run = models.ForeignKey(
        PayoutRun, on_delete=models.PROTECT, related_name="inquiries", verbose_name=_("run"),
    )
    manager = models.ForeignKey(
        "salesops.Manager", on_delete=models.PROTECT, related_name="payout_inquiries",
        verbose_name=_("manager"),
    )
    line_kind = models.CharField(_("component"), max_length=32, choices=LineKind.choices)
    line_key = models.CharField(_("key"), max_length=80, blank=True)
    line = models.ForeignKey(
        PayoutLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="inquiries",
        verbose_name=_("line"),
    )
    amount_seen = models.DecimalField(_("amount seen"), **MONEY)
    comment = models.TextField(_("question"))
    status = models.CharField(
        _("status"), max_length=16, choices=InquiryStatus.choices, default=InquiryStatus.OPEN,
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        verbose_name = _("payout inquiry")
        verbose_name_plural = _("payout inquiries")
        indexes = [models.Index(fields=["run", "status"], name="inquiry_run_status")]
        constraints = [
            models.CheckConstraint(condition=~Q(comment=""), name="inquiry_question_required"),
            # Maker-checker (SPEC §1): nobody answers their own question.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("raised_by")),
                name="inquiry_checker_is_not_maker",
            ),
            models.CheckConstraint(
                condition=Q(status="open", decided_by__isnull=True, decided_at__isnull=True)
                | (~Q(status="open") & Q(decided_by__isnull=False, decided_at__isnull=False)),
                name="inquiry_decided_iff_not_open",
            ),
            # SPEC §7: decided "with a reason", like an exception; a refusal above all.
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(decision_comment=""),
                name="inquiry_rejection_has_a_reason",
            ),
            # One open question per line at a time: a second click is not a second case.
            models.UniqueConstraint(
                fields=["run", "manager", "line_kind", "line_key"],
                condition=Q(status="open"), name="inquiry_one_open_per_line",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.manager} · {self.get_line_kind_display()}"
