"""Admin screens for plans (with rate and tier tables) and payout runs. Lists are scoped by
salesops' one selector; every write goes through a service."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, When
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from salesops import policy
from salesops.admin_inputs import PayInputAdminMixin
from salesops.admin_scoping import PolicyInline, PolicyModelAdmin, action_form
from salesops.periods import current_month, next_month

from .exceptions import (
    CommissionExceptionError,
    commission_exception_approve,
    commission_exception_reject,
    commission_exception_request,
)
from .lifecycle import PayoutRunError, payout_run_approve, payout_run_record_request
from .models import (
    CommissionException,
    CompensationPlan,
    ComponentKind,
    ComponentRate,
    ExceptionStatus,
    LineKind,
    PartnerStatement,
    PartnerStatementLine,
    PayoutLine,
    PayoutRun,
    PayoutRunTransition,
    PlanAssignment,
    PlanComponent,
    PlanVersion,
    RevenueTier,
)
from .selectors import (
    exception_amount_at_stake,
    payout_run_progress,
    payout_run_totals_by_manager,
    payout_runs_with_totals,
)
from .services import plan_version_in_use, plan_version_revise
from .tasks import compute_payout_run
from .validation import component_rates_validate, revenue_tiers_validate


def _alive(formset):
    return [
        form.cleaned_data for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class RateFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = _alive(self)
        component_rates_validate(
            kind=self.instance.kind,
            outcomes=[r["outcome"] for r in rows if r.get("outcome") is not None],
            sources=[r["lead_source"] for r in rows if r.get("lead_source")],
        )


class TierFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        rows = _alive(self)
        if rows and self.instance.kind != ComponentKind.REVENUE_PERCENT:
            raise ValidationError(_("Tiers are for revenue percent only."))
        revenue_tiers_validate([(r["from_percent"], r.get("to_percent")) for r in rows])


class FrozenIfUsedMixin:
    """A version that paid a locked month is read-only: make a new version instead."""

    def _version_of(self, obj):
        return obj

    def has_change_permission(self, request, obj=None):
        version = self._version_of(obj) if obj is not None else None
        if version is not None and plan_version_in_use(version=version):
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


class ComponentRateInline(PolicyInline, admin.TabularInline):
    model = ComponentRate
    formset = RateFormSet
    extra = 0


class RevenueTierInline(PolicyInline, admin.TabularInline):
    model = RevenueTier
    formset = TierFormSet
    extra = 0


class PlanComponentInline(PolicyInline, admin.TabularInline):
    model = PlanComponent
    extra = 0
    show_change_link = True
    fields = ["kind", "rate", "amount", "base_mode", "floor_percent", "team_metric", "cap"]


class PlanVersionInline(PolicyInline, admin.TabularInline):
    model = PlanVersion
    extra = 0
    show_change_link = True
    fields = ["number", "effective_from", "conversation_threshold_s", "minute_rounding",
              "monthly_cap"]
    readonly_fields = fields


class PlanAssignmentInline(PolicyInline, admin.TabularInline):
    model = PlanAssignment
    extra = 0
    autocomplete_fields = ["manager"]


@admin.register(CompensationPlan)
class CompensationPlanAdmin(PolicyModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]
    inlines = [PlanVersionInline, PlanAssignmentInline]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and (plan := self.get_object(request, object_id)):
            _warn_double_pay(request, plan)
        return super().change_view(request, object_id, form_url, extra_context)


def _warn_double_pay(request, plan) -> None:
    """The plan editor names components that pay one result twice (issue 19)."""
    from .vendors.doublepay import editor_warnings

    for text in editor_warnings(plan=plan):
        messages.warning(request, text)


@admin.register(PlanVersion)
class PlanVersionAdmin(FrozenIfUsedMixin, PolicyModelAdmin):
    list_display = ["plan", "number", "effective_from", "conversation_threshold_s",
                    "minute_rounding", "monthly_cap"]
    list_filter = ["plan"]
    inlines = [PlanComponentInline]
    actions = ["revise_from_next_month"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET" and (version := self.get_object(request, object_id)):
            _warn_double_pay(request, version.plan)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Make a new version from next month"), permissions=["add"])
    def revise_from_next_month(self, request, queryset):
        for version in queryset:
            revised = plan_version_revise(version=version,
                                          effective_from=next_month(current_month()))
            self.message_user(request, _("Created %(v)s") % {"v": revised})


@admin.register(PlanComponent)
class PlanComponentAdmin(FrozenIfUsedMixin, PolicyModelAdmin):
    list_display = ["version", "kind", "rate", "amount", "cap"]
    list_filter = ["kind", "version__plan"]
    inlines = [ComponentRateInline, RevenueTierInline]

    def _version_of(self, obj):
        return obj.version


class PayoutRunTransitionInline(PolicyInline, admin.TabularInline):
    model = PayoutRunTransition
    extra = 0
    can_delete = False
    # Statuses by their names, the stored note in words.
    fields = ["at", "by", "step"]
    readonly_fields = fields

    @admin.display(description=_("step"))
    def step(self, transition):
        from .review.history import NOTES
        from .review.templatetags.review_extras import run_status

        text = run_status(transition.to_status)
        if transition.from_status:
            text = f"{run_status(transition.from_status)} → {text}"
        note = NOTES.get(transition.note, transition.note)
        return f"{text} ({note})" if note else text

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(PolicyModelAdmin):
    list_display = ["month", "team", "status", "progress", "paid_total", "held_total",
                    "requested_by", "approved_by"]
    list_filter = ["status", "team", "month"]
    readonly_fields = ["month", "team", "status", "generation", "managers_total", "requested_by",
                       "computed_at", "approved_by", "approved_at", "paid_at", "pay_by_manager"]
    # The team's gathered figures are the engine's (JSON), not for reading.
    exclude = ["team_facts"]
    inlines = [PayoutRunTransitionInline]
    actions = ["approve", "compute_again"]

    def get_queryset(self, request):
        return payout_runs_with_totals(
            super().get_queryset(request).select_related("team").distinct()
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("paid"), ordering="paid_total")
    def paid_total(self, run):
        return money_format(run.paid_total)

    @admin.display(description=_("held"), ordering="held_total")
    def held_total(self, run):
        return money_format(run.held_total)

    @admin.display(description=_("pay by manager"))
    def pay_by_manager(self, run):
        rows = payout_run_totals_by_manager(run=run)
        kinds = [kind for kind in LineKind if any(kind in row["by_kind"] for row in rows)]
        lines_url = reverse("admin:payouts_payoutline_changelist") + f"?run__id__exact={run.pk}"
        header = format_html_join(
            "", '<th class="num">{}</th>', ((kind.label,) for kind in kinds)
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td>{}<td class='num'><b>{}</b></td><td class='num'>{}</td></tr>",
            (
                (
                    row["manager"],
                    format_html_join("", "<td class='num'>{}</td>", (
                        (money_format(row["by_kind"].get(kind)),) for kind in kinds
                    )),
                    money_format(row["paid"]),
                    money_format(row["held"]),
                )
                for row in rows
            ),
        )
        return format_html(
            '<table><thead><tr><th>{}</th>{}<th class="num">{}</th><th class="num">{}</th>'
            '</tr></thead><tbody>{}</tbody></table><p><a href="{}">{}</a></p>',
            _("Manager"), header, _("paid"), _("held"), body, lines_url,
            _("Every line of this run, with its explanation"),
        )

    @admin.display(description=_("managers done"))
    def progress(self, run):
        done, total = payout_run_progress(run=run)
        return f"{done}/{total}"

    @admin.action(description=_("Approve"), permissions=["approve"])
    def approve(self, request, queryset):
        for run in queryset:
            try:
                payout_run_approve(run=run, approved_by=request.user)
            except PayoutRunError as error:
                self.message_user(request, f"{run}: {error}", messages.ERROR)

    def has_approve_permission(self, request):
        return policy.may(request.user, policy.APPROVE_RUN, self.model)

    def has_compute_permission(self, request):
        return policy.may(request.user, policy.COMPUTE_RUN, self.model)

    @admin.action(description=_("Compute again"), permissions=["compute"])
    def compute_again(self, request, queryset):
        for run in queryset:
            if not policy.may(request.user, policy.COMPUTE_RUN, run, run):
                self.message_user(request, f"{run}: {_('not yours to compute')}", messages.ERROR)
                continue
            if run.is_locked:
                self.message_user(request, f"{run}: {_('locked: not computed again')}",
                                  messages.ERROR)
                continue
            # Maker-checker: the request is recorded here, before the worker runs it.
            with transaction.atomic():
                payout_run_record_request(run=run, by=request.user)
                transaction.on_commit(
                    lambda run=run: compute_payout_run.delay(
                        f"{run.month:%Y-%m}", run.team_id, request.user.pk))
        self.message_user(request, _("Queued."))


def money_format(amount) -> str:
    """Kopecks and thousands in the user's locale; a dash for nothing."""
    if amount is None:
        return "—"
    return number_format(amount, decimal_pos=2, force_grouping=True)


@admin.register(PayoutLine)
class PayoutLineAdmin(PolicyModelAdmin):
    list_display = ["month", "manager", "kind", "detail", "quantity", "rate", "amount", "held"]
    # The line in words, not the engine's stored explanation (codes and JSON).
    exclude = ["explanation", "key"]
    readonly_fields = ["detail", "in_words"]

    @admin.display(description=_("detail"))
    def detail(self, line):
        from .earnings.selectors import line_detail

        return line_detail(line.kind, line.key)

    @admin.display(description=_("how it adds up"))
    def in_words(self, line):
        from .earnings.selectors import line_figures

        return line_figures([line])[0].arithmetic
    list_filter = ["month", "kind", "held", "run__team"]
    list_select_related = ["manager__user"]
    search_fields = ["manager__user__username", "manager__user__last_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    comment = forms.CharField(label=_("reason for the rejection"), widget=forms.Textarea)


@admin.register(CommissionException)
class CommissionExceptionAdmin(PayInputAdminMixin, PolicyModelAdmin):
    """The queue of commission exceptions (SPEC §5): pending first, with the amount at stake.
    Requests are made here (reason required); decisions only through the actions."""

    list_display = ["number", "lead", "kind", "rate", "amount", "at_stake", "status",
                    "requested_by", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["lead", "requested_by", "decided_by"]
    search_fields = ["lead__company", "lead__phone", "reason"]
    raw_id_fields = ["lead", "partner", "transfer_to"]
    fields = ["lead", "component_kind", "kind", "rate", "amount", "partner", "transfer_to",
              "reason"]
    actions = ["approve", "reject"]
    add_action = policy.REQUEST_EXCEPTION

    def get_queryset(self, request):
        return super().get_queryset(request).order_by(
            Case(When(status=ExceptionStatus.PENDING, then=0), default=1), "-requested_at"
        )

    def layer_save(self, request, obj, form, change):
        if change:
            raise CommissionExceptionError(_("A request is decided, never edited."))
        created = commission_exception_request(
            lead=obj.lead, kind=obj.kind, reason=obj.reason, requested_by=request.user,
            component_kind=obj.component_kind, rate=obj.rate, amount=obj.amount,
            partner=obj.partner, transfer_to=obj.transfer_to,
        )
        obj.pk = created.pk

    @admin.display(description=_("number"), ordering="pk")
    def number(self, exception):
        return exception.pk

    def layer_delete(self, request, obj):
        raise CommissionExceptionError(_("A request is decided, never deleted."))

    @admin.display(description=_("amount at stake"))
    def at_stake(self, exception):
        return exception_amount_at_stake(exception=exception)

    def _decide(self, request, queryset, decide, **kwargs):
        for exception in queryset:
            try:
                decide(exception, request.user, **kwargs)
            except CommissionExceptionError as error:
                self.message_user(request, f"{exception}: {error.messages[0]}", messages.ERROR)

    @admin.action(description=_("Approve"), permissions=["approve"])
    def approve(self, request, queryset):
        self._decide(request, queryset, lambda e, user: commission_exception_approve(
            exception=e, approved_by=user, comment=_("approved in the admin queue")))

    @admin.action(description=_("Reject"), permissions=["approve"])
    def reject(self, request, queryset):
        # A rejection needs the decider's own reason (SPEC §5): asked for on a page of its own.
        return action_form(
            self, request, queryset, form_class=RejectForm, title=_("Reject these requests"),
            apply=lambda exception, data: commission_exception_reject(
                exception=exception, rejected_by=request.user, comment=data["comment"]),
        )

    def has_approve_permission(self, request):
        return policy.may(request.user, policy.DECIDE_EXCEPTION, self.model)


class PartnerStatementLineInline(PolicyInline, admin.TabularInline):
    model = PartnerStatementLine
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "payment", "base", "percent", "amount", "payable_on"]
    exclude = ["explanation"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PartnerStatement)
class PartnerStatementAdmin(PolicyModelAdmin):
    list_display = ["month", "partner", "carried_in", "earned", "payable", "carried_out",
                    "computed_at"]
    list_filter = ["month", "partner"]
    readonly_fields = list_display
    inlines = [PartnerStatementLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
