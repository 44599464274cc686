from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from salesops.admin_scoping import PolicyModelAdmin, action_form

from .models import PayoutDetails
from .services import payout_details_confirm, payout_details_reject


class RejectForm(forms.Form):
    comment = forms.CharField(label=_("Why"), max_length=500)


@admin.register(PayoutDetails)
class PayoutDetailsAdmin(PolicyModelAdmin):
    """A partner's payout details wait here for an owner or admin to confirm them; nothing is
    edited by hand (a change is the partner's request, confirmed or rejected)."""

    list_display = ["partner", "method", "summary", "status", "requested_by", "requested_at",
                    "decided_by"]
    list_filter = ["status", "method"]
    actions = ["confirm", "reject"]

    def has_add_permission(self, request, *args):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.action(description=_("Confirm: pay the partner this way"), permissions=["change"])
    def confirm(self, request, queryset):
        for details in queryset:
            try:
                payout_details_confirm(details=details, by=request.user)
            except (ValidationError, PermissionDenied) as error:
                text = "; ".join(getattr(error, "messages", None) or [str(error)])
                self.message_user(request, f"{details}: {text}", messages.ERROR)

    @admin.action(description=_("Reject"), permissions=["change"])
    def reject(self, request, queryset):
        return action_form(
            self, request, queryset, form_class=RejectForm, title=_("Reject payout details"),
            apply=lambda details, data: payout_details_reject(
                details=details, by=request.user, comment=data["comment"]))
