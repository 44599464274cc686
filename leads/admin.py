from django import forms
from django.contrib import admin, messages
from django.db.models import F
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from salesops import policy
from salesops.admin_inputs import PayInputAdminMixin
from salesops.admin_scoping import (
    PolicyImportExportAdmin,
    PolicyInline,
    PolicyModelAdmin,
    action_form,
)

from .models import DuplicateState, Lead, LeadMilestone, LeadOwnership, Partner, Payment
from .partners.selectors import lead_handable
from .resources import LeadResource, PartnerResource, PaymentResource
from .selectors import lead_status
from .services import (
    LEAD_CHANGEABLE,
    PAYMENT_NEVER_CHANGED,
    TRANSITIONS,
    LeadError,
    duplicate_resolve,
    lead_change,
    lead_create,
    lead_delete,
    lead_milestone_correct,
    lead_milestone_delete,
    lead_milestone_set,
    lead_milestone_update,
    payment_create,
    payment_refund,
)


@admin.register(Partner)
class PartnerAdmin(PolicyImportExportAdmin):
    resource_classes = [PartnerResource]
    list_display = [
        "name", "default_percent", "hold_days", "recurring_months", "minimum_payout", "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


class LeadMilestoneInline(PolicyInline, admin.TabularInline):
    """The lead's history, read-only: a milestone is added on its own page, through the
    service (transitions table, row lock)."""

    model = LeadMilestone
    extra = 0
    fields = readonly_fields = ["kind", "at", "set_by", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class LeadForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("reason for the change"), required=False, widget=forms.Textarea,
        help_text=_("Kept in the audit trail and the lead's owner history."))

    class Meta:
        model = Lead
        fields = [*LEAD_CHANGEABLE]


def _resolve_action(resolution: str, label):
    @admin.action(description=label, permissions=["resolve"])
    def action(modeladmin, request, queryset):
        for lead in queryset:
            try:
                duplicate_resolve(lead=lead, resolution=resolution, by=request.user)
            except LeadError as error:
                modeladmin.message_user(request, f"{lead}: {error.messages[0]}", messages.ERROR)

    action.__name__ = f"resolve_{resolution}"
    return action


@admin.register(Lead)
class LeadAdmin(PayInputAdminMixin, PolicyImportExportAdmin):
    """Leads are written by the services: created with their first owner's row, changed by
    ``lead_change`` (a new owner takes the lead from today through ``lead_reassign``: earlier
    items stay with whoever owned it on their day), deleted only while nothing pays from them.
    Normalised, checked for a duplicate, audited, pay marked changed."""

    form = LeadForm
    resource_classes = [LeadResource]
    list_display = ["__str__", "phone", "tax_id", "owner", "source", "partner", "created_at",
                    "duplicate_of", "duplicate_state"]
    list_filter = ["source", "duplicate_state", "partner", "owner__team"]
    list_select_related = ["owner__user", "partner", "duplicate_of"]
    search_fields = ["name", "company", "phone", "tax_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner", "partner"]
    readonly_fields = ["duplicate_of", "duplicate_state", "owner_history"]
    inlines = [LeadMilestoneInline]
    actions = [
        _resolve_action(DuplicateState.KEEP_FIRST, _("Duplicate: keep the first touch")),
        _resolve_action(DuplicateState.CREDIT_NEWCOMER, _("Duplicate: credit the newcomer")),
        _resolve_action(DuplicateState.MERGED, _("Duplicate: merge into the first lead")),
    ]

    @admin.display(description=_("owners over time"))
    def owner_history(self, lead):
        """Who owned the lead from when (SPEC §6.7), read-only: the owner changes on this form
        (``lead_reassign``, from today), never by editing this history."""
        if not lead.pk:
            return "—"
        rows = (LeadOwnership.objects.filter(lead=lead)
                .select_related("owner__user", "set_by").order_by(F("since").asc(nulls_first=True)))
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("owner"), _("since the day"), _("given by"), _("reason"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
                (row.owner, date_format(row.since) if row.since else _("the start"),
                 row.set_by or "—", row.reason or "—") for row in rows)))

    def has_resolve_permission(self, request):
        return policy.may(request.user, policy.RESOLVE_DUPLICATE, self.model)

    change_form_template = "admin/leads/lead/change_form.html"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Handing the lead to a partner is a page of its own (its terms, the partner's
        # consent): offered here to whoever the policy lets hand leads.
        lead = self.get_object(request, admin.utils.unquote(object_id))
        extra_context = {**(extra_context or {}), "may_hand": (
            lead is not None and lead_handable(lead)
            and policy.may(request.user, policy.CREATE, "handed_leads"))}
        return super().change_view(request, object_id, form_url, extra_context)

    def layer_save(self, request, obj, form, change):
        if change:
            saved = lead_change(lead=obj, by=request.user, reason=form.cleaned_data["reason"],
                                changes={name: form.cleaned_data[name]
                                         for name in form.changed_data
                                         if name in LEAD_CHANGEABLE})
        else:
            saved = lead_create(by=request.user,
                                **{name: getattr(obj, name) for name in LEAD_CHANGEABLE})
        obj.pk, obj.phone, obj.tax_id = saved.pk, saved.phone, saved.tax_id
        obj.duplicate_of, obj.duplicate_state = saved.duplicate_of, saved.duplicate_state

    def layer_delete(self, request, obj):
        lead_delete(lead=obj, by=request.user)


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = LeadMilestone
        fields = ["lead", "kind", "at", "note"]

    def clean(self):
        data = super().clean()
        lead, kind = data.get("lead"), data.get("kind")
        # The service checks again under the lead's row lock; this says it on the form.
        if lead is not None and kind and kind not in TRANSITIONS[lead_status(lead=lead)]:
            raise forms.ValidationError(
                _("A %(status)s lead cannot become %(kind)s.")
                % {"status": lead_status(lead=lead), "kind": kind})
        return data


class CorrectionForm(forms.Form):
    reason = forms.CharField(label=_("reason for the correction"), widget=forms.Textarea)


@admin.register(LeadMilestone)
class LeadMilestoneAdmin(PayInputAdminMixin, PolicyModelAdmin):
    """Milestones are history: added here through ``lead_milestone_set`` (the declared
    transitions, the lead's row lock, who set it), never edited or deleted."""

    list_display = ["lead", "kind", "at", "set_by"]
    list_filter = ["kind"]
    list_select_related = ["lead", "set_by"]
    search_fields = ["lead__name", "lead__company", "lead__phone"]
    date_hierarchy = "at"
    raw_id_fields = ["lead"]
    form = MilestoneForm
    fields = ["lead", "kind", "at", "note"]
    actions = ["correct"]

    def has_correct_permission(self, request):
        return policy.may(request.user, policy.CORRECT, self.model)

    @admin.action(description=_("Correct: void with a reason"), permissions=["correct"])
    def correct(self, request, queryset):
        return action_form(
            self, request, queryset, form_class=CorrectionForm,
            title=_("Void these milestones"),
            apply=lambda milestone, data: lead_milestone_correct(
                milestone=milestone, reason=data["reason"], by=request.user),
        )

    def get_readonly_fields(self, request, obj=None):
        return ["set_by", *self.fields] if obj is not None else []

    def layer_save(self, request, obj, form, change):
        if change:
            lead_milestone_update(milestone=obj)
        created = lead_milestone_set(lead=obj.lead, kind=obj.kind, at=obj.at, note=obj.note,
                                     by=request.user)
        obj.pk, obj.set_by = created.pk, created.set_by

    def layer_delete(self, request, obj):
        lead_milestone_delete(milestone=obj, by=request.user)


class PaymentForm(forms.ModelForm):
    """A payment received. A refund is never typed in here: it is the "Refund" action."""

    class Meta:
        model = Payment
        fields = ["lead", "amount", "received_on", "kind", "period_start", "external_id"]

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(
                _("A payment is positive; refund a payment with the Refund action."))
        return amount


class RefundForm(forms.Form):
    received_on = forms.DateField(label=_("refunded on"))
    amount = forms.DecimalField(
        label=_("amount"), max_digits=14, decimal_places=2, min_value=0, required=False,
        help_text=_("Empty: what is left of the payment."))


@admin.register(Payment)
class PaymentAdmin(PayInputAdminMixin, PolicyImportExportAdmin):
    """Payments are facts (SPEC §2): entered through ``payment_create``, reversed by the Refund
    action (``payment_refund``), never edited or deleted."""

    resource_classes = [PaymentResource]
    form = PaymentForm
    list_display = ["lead", "amount", "received_on", "kind", "period_start", "refund_of"]
    list_filter = ["kind", "lead__source"]
    list_select_related = ["lead"]
    search_fields = ["lead__name", "lead__company", "lead__phone", "external_id"]
    date_hierarchy = "received_on"
    raw_id_fields = ["lead"]
    readonly_fields = ["refund_of"]
    actions = ["refund"]

    def layer_save(self, request, obj, form, change):
        if change:
            raise LeadError(PAYMENT_NEVER_CHANGED)
        created = payment_create(
            lead=obj.lead, amount=obj.amount, received_on=obj.received_on, kind=obj.kind,
            period_start=obj.period_start, external_id=obj.external_id, by=request.user,
        )
        obj.pk = created.pk

    def layer_delete(self, request, obj):
        raise LeadError(PAYMENT_NEVER_CHANGED)

    def has_refund_permission(self, request):
        return policy.may(request.user, policy.REFUND, self.model)

    @admin.action(description=_("Refund"), permissions=["refund"])
    def refund(self, request, queryset):
        return action_form(
            self, request, queryset, form_class=RefundForm, title=_("Refund these payments"),
            apply=lambda payment, data: payment_refund(
                payment=payment, received_on=data["received_on"], amount=data["amount"],
                by=request.user),
        )
