from django.contrib import admin

from salesops.admin_scoping import ScopedModelAdmin

from .models import Lead, LeadMilestone, Partner, Payment


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
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


@admin.register(Lead)
class LeadAdmin(ScopedModelAdmin):
    scope_via = "owner"
    list_display = ["__str__", "phone", "tax_id", "owner", "source", "partner", "created_at"]
    list_filter = ["source", "partner", "owner__team"]
    list_select_related = ["owner__user", "partner"]
    search_fields = ["name", "company", "phone", "tax_id"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["owner", "partner"]
    inlines = [LeadMilestoneInline]


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
class PaymentAdmin(ScopedModelAdmin):
    scope_via = "lead__owner"
    list_display = ["lead", "amount", "received_on", "kind", "period_start", "refund_of"]
    list_filter = ["kind", "lead__source"]
    list_select_related = ["lead"]
    search_fields = ["lead__name", "lead__company", "lead__phone", "external_id"]
    date_hierarchy = "received_on"
    raw_id_fields = ["lead", "refund_of"]
