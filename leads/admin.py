from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from salesops.admin_scoping import ScopedModelAdmin
from salesops.imports.upload_rules import CheckedImportExportMixin as ImportExportMixin

from .models import AuditEntry, DuplicateState, Lead, LeadMilestone, Partner, Payment
from .resources import LeadResource, PartnerResource, PaymentResource
from .services import LeadError, duplicate_resolve


@admin.register(Partner)
class PartnerAdmin(ImportExportMixin, admin.ModelAdmin):
    resource_classes = [PartnerResource]
    list_display = [
        "name", "default_percent", "hold_days", "recurring_months", "minimum_payout", "is_active",
    ]
    list_filter = ["is_active"]
    search_fields = ["name", "email"]
    raw_id_fields = ["user"]


class LeadMilestoneInline(admin.TabularInline):
    model = LeadMilestone
    extra = 0
    raw_id_fields = ["set_by"]


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
class LeadAdmin(ImportExportMixin, ScopedModelAdmin):
    resource_classes = [LeadResource]
    scope_via = "owner"
    list_display = ["__str__", "phone", "tax_id", "owner", "source", "partner", "created_at",
                    "duplicate_of", "duplicate_state"]
    list_filter = ["source", "duplicate_state", "partner", "owner__team"]
    list_select_related = ["owner__user", "partner", "duplicate_of"]
    search_fields = ["name", "company", "phone", "tax_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner", "partner"]
    readonly_fields = ["duplicate_of", "duplicate_state"]
    inlines = [LeadMilestoneInline]
    actions = [
        _resolve_action(DuplicateState.KEEP_FIRST, _("Duplicate: keep the first touch")),
        _resolve_action(DuplicateState.CREDIT_NEWCOMER, _("Duplicate: credit the newcomer")),
        _resolve_action(DuplicateState.MERGED, _("Duplicate: merge into the first lead")),
    ]

    def has_resolve_permission(self, request):
        return request.user.has_perm("leads.resolve_duplicate")


@admin.register(LeadMilestone)
class LeadMilestoneAdmin(ScopedModelAdmin):
    scope_via = "lead__owner"
    list_display = ["lead", "kind", "at", "set_by"]
    list_filter = ["kind"]
    list_select_related = ["lead", "set_by"]
    search_fields = ["lead__name", "lead__company", "lead__phone"]
    date_hierarchy = "at"
    raw_id_fields = ["lead", "set_by"]


@admin.register(Payment)
class PaymentAdmin(ImportExportMixin, ScopedModelAdmin):
    resource_classes = [PaymentResource]
    scope_via = "lead__owner"
    list_display = ["lead", "amount", "received_on", "kind", "period_start", "refund_of"]
    list_filter = ["kind", "lead__source"]
    list_select_related = ["lead"]
    search_fields = ["lead__name", "lead__company", "lead__phone", "external_id"]
    date_hierarchy = "received_on"
    raw_id_fields = ["lead", "refund_of"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail: read by those who decide, edited by nobody (SPEC §5)."""

    list_display = ["at", "by", "action", "object_type", "object_id", "comment"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "by__username", "comment"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
