"""The admin's doors to pay inputs: forms, deletes, actions and imports write through the write
layer (``salesops.inputs``), and what it refuses is shown to the admin with nothing changed.

A refusal is a ``ValidationError`` from a writer (a locked month, a correction without its
reason or by someone who may not correct, a lead with history): the add or change form comes
back with the user's input and the layer's message on top; a delete or an action goes back to
the page it came from with the message; an import's confirm step imports nothing and says why.
The admin's own log entry is rolled back with the write.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _


def refusal_text(refusal: ValidationError) -> str:
    return " ".join(refusal.messages)


class RefusalsShownMixin:
    """Put first in the bases: a writer's refusal is the user's to read, not a server error."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as refusal:
            if request.method != "POST":
                raise
            # The first attempt was rolled back whole (the view is atomic): show the form
            # again, bound to what was typed, with the refusal as its error.
            request.pay_input_refusal = refusal
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, "pay_input_refusal", None)
        if refusal is None:
            return form

        class Refused(form):
            def clean(self):
                data = super().clean()
                self.add_error(None, refusal.messages)
                return data

        return Refused

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as refusal:
            self.message_user(request, refusal_text(refusal), messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
                args=[object_id]))

    def response_action(self, request, queryset):
        try:
            # All of it or none of it, the admin's log entries included.
            with transaction.atomic():
                return super().response_action(request, queryset)
        except ValidationError as refusal:
            self.message_user(request, refusal_text(refusal), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class PayInputAdminMixin(RefusalsShownMixin):
    """The admin of a pay-input model: ``layer_save`` and ``layer_delete`` call the layer's
    writers (which ask the policy, refuse or admit by the locked months, mark and audit);
    the model is never saved or deleted here directly."""

    def layer_save(self, request, obj, form, change):
        raise NotImplementedError

    def layer_delete(self, request, obj):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        self.layer_save(request, obj, form, change)

    def delete_model(self, request, obj):
        self.layer_delete(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                self.layer_delete(request, obj)

    def process_result(self, result, request):
        """The import's confirm step (django-import-export): a row the layer refused now (the
        month was approved after the preview) rolled the whole file back; say so."""
        if result.has_errors() or result.has_validation_errors():
            self.message_user(request, _("Nothing was imported: fix these rows and import the "
                                         "file again."), messages.ERROR)
            for invalid in result.invalid_rows:
                self.message_user(request, f"{invalid.number}: " + "; ".join(
                    message for messages_ in invalid.error_dict.values()
                    for message in messages_), messages.ERROR)
            for number, errors in result.row_errors():
                self.message_user(request, f"{number}: {errors[0].error}", messages.ERROR)
            opts = self.model._meta
            return HttpResponseRedirect(reverse(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist"))
        return super().process_result(result, request)
