"""Admin screens for vendors (with their contracts), pilots and guest logins. Lists are
scoped by the one access policy; the double-pay guard warns on a vendor's contract."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from salesops.admin_scoping import PolicyInline, PolicyModelAdmin

from .models import Pilot, Vendor, VendorContract, VendorGuest
from .services import vendor_team_create


class VendorContractInline(PolicyInline, admin.TabularInline):
    model = VendorContract
    extra = 0
    fields = ["plan", "effective_from", "effective_to"]


@admin.register(Vendor)
class VendorAdmin(PolicyModelAdmin):
    list_display = ["name", "code", "team", "prepaid", "low_balance_threshold"]
    search_fields = ["name", "code"]
    fields = ["code", "name", "team", "prepaid", "low_balance_threshold", "notify_email"]
    inlines = [VendorContractInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "team" in form.base_fields:
            # Empty: the vendor gets a team of its own (its operators' calls are matched to it).
            form.base_fields["team"].required = False
        return form

    def save_model(self, request, obj, form, change):
        if not obj.team_id:
            obj.team = vendor_team_create(code=obj.code, name=obj.name)
        super().save_model(request, obj, form, change)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            from .doublepay import editor_warnings

            vendor = self.get_object(request, object_id)
            if vendor is not None:
                for text in editor_warnings(vendor=vendor):
                    messages.warning(request, text)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Pilot)
class PilotAdmin(PolicyModelAdmin):
    list_display = ["name", "code", "vendor", "team", "plan", "starts_on", "ends_on"]
    fields = ["code", "name", "vendor", "team", "plan", "starts_on", "ends_on", "goal"]


@admin.register(VendorGuest)
class VendorGuestAdmin(PolicyModelAdmin):
    list_display = ["user", "vendor"]
    fields = ["user", "vendor"]
    verbose_name = _("vendor guest")
