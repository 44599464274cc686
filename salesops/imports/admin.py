"""Admin screens of the importer: batches (progress, error report, re-run, roll back as a
whole), saved presets, status mappings, manager aliases and the daily aggregates."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from salesops import policy
from salesops.admin_scoping import PolicyModelAdmin
from salesops.models import (
    DailyManagerStats,
    ImportBatch,
    ImportConflict,
    ImportPreset,
    ImportRowError,
    ManagerAlias,
    StatusMapping,
)

from . import tasks  # noqa: F401 - registers the import task with workers that load the admin
from .presets import FIELDS
from .services import (
    ImportRefused,
    import_batch_rollback,
    import_batch_run_again,
    import_conflict_accept,
    import_conflict_reject,
)


@admin.register(ImportBatch)
class ImportBatchAdmin(PolicyModelAdmin):
    """Batches are made by the upload service only (``import_batch_create``: the file stored
    under its own name, its creator the uploader, its counters the run's): the add page is the
    upload page, and a batch is read here, never edited; it is re-run or rolled back by the
    actions."""

    list_display = [
        "__str__", "preset", "status", "rows_read", "created_count", "present_count",
        "skipped_count", "error_count", "created_by", "created_at", "progress_link",
    ]
    list_filter = ["status", "source", "preset", "dry_run"]
    search_fields = ["file_name", "source"]
    date_hierarchy = "created_at"
    raw_id_fields = ["created_by"]
    readonly_fields = [
        "status", "message", "started_at", "finished_at", "attempts", "bytes_total",
        "bytes_read", "rows_read", "created_count", "present_count", "skipped_count",
        "error_count", "progress_link",
    ]
    # The file's first rows (kept for the upload pages) and the column mapping are the file's
    # data, shown on the batch's own pages, not here.
    exclude = ["sample", "mapping"]
    actions = ["rollback", "rerun"]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("imports:upload"))

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress and errors"))
    def progress_link(self, batch):
        if not batch.pk:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("imports:batch", args=[batch.pk]),
                           _("open"))

    @admin.action(description=_("Roll back: delete every call these imports created"),
                  permissions=["delete"])
    def rollback(self, request, queryset):
        total = 0
        for batch in queryset:
            try:
                total += import_batch_rollback(batch=batch, by=request.user)
            except ImportRefused as exc:
                self.message_user(request, f"{batch}: {exc}", messages.ERROR)
        self.message_user(request, ngettext(
            "%(count)d call deleted.", "%(count)d calls deleted.", total) % {"count": total})

    @admin.action(description=_("Run again (after mapping managers or statuses)"),
                  permissions=["add"])
    def rerun(self, request, queryset):
        started = 0
        for batch in queryset:
            try:
                import_batch_run_again(batch=batch, by=request.user)
            except ImportRefused as exc:
                self.message_user(request, f"{batch}: {exc}", messages.ERROR)
            else:
                started += 1
        if started:
            self.message_user(request, _("The files are being imported again."))


@admin.register(ImportRowError)
class ImportRowErrorAdmin(PolicyModelAdmin):
    list_display = ["batch", "line", "column", "value", "reason_in_language"]
    list_filter = ["reason"]
    search_fields = ["value", "reason"]
    raw_id_fields = ["batch"]
    show_full_result_count = False

    @admin.display(description=_("reason"))
    def reason_in_language(self, error):
        return error.reason_shown


class ImportPresetForm(forms.ModelForm):
    """One box per field of a call: the header name, or the column number (from 1)."""

    class Meta:
        model = ImportPreset
        fields = ["name", "label", "source", "has_header", "skip_rows", "date_order"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Most files have their header on top: left empty, no row above it.
        if "skip_rows" in self.fields:  # a read-only view (the owner's) has no fields
            self.fields["skip_rows"].required = False
        for name in FIELDS:
            self.fields[f"column_{name}"] = forms.CharField(
                label=name.replace("_", " "), required=False,
                initial=self.instance.columns.get(name, ""),
            )

    def clean_skip_rows(self):
        return self.cleaned_data.get("skip_rows") or 0

    def clean(self):
        data = super().clean()
        columns = {name: data[f"column_{name}"].strip() for name in FIELDS
                   if data.get(f"column_{name}", "").strip()}
        if not data.get("has_header", True):
            bad = [name for name, value in columns.items() if not value.isdigit()]
            if bad:
                raise forms.ValidationError(
                    _("Without a header row, give column numbers (from 1): %(fields)s")
                    % {"fields": ", ".join(bad)})
        if not ({"duration", "talk"} & set(columns)) or not (
                {"started_at", "date", "time"} & set(columns)):
            raise forms.ValidationError(
                _("A preset needs at least a start (started at, or date and time) and a "
                  "duration or a talk time."))
        self.instance.columns = columns
        return data


@admin.register(ImportPreset)
class ImportPresetAdmin(PolicyModelAdmin):
    form = ImportPresetForm
    list_display = ["name", "label", "source", "has_header"]

    def get_fields(self, request, obj=None):
        return ["name", "label", "source", "has_header", "skip_rows", "date_order",
                *(f"column_{n}" for n in FIELDS)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The column boxes are made by the form itself; the model form is built from the
        # model's fields only (asking for the boxes by name was the add page's 500).
        kwargs["fields"] = ImportPresetForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)


@admin.register(StatusMapping)
class StatusMappingAdmin(PolicyModelAdmin):
    list_display = ["value", "preset", "outcome"]
    list_editable = ["outcome"]
    list_filter = ["preset", "outcome"]
    search_fields = ["value"]


@admin.register(ManagerAlias)
class ManagerAliasAdmin(PolicyModelAdmin):
    list_display = ["value", "manager"]
    search_fields = ["value", "manager__user__username", "manager__user__last_name"]
    autocomplete_fields = ["manager"]


@admin.register(DailyManagerStats)
class DailyManagerStatsAdmin(PolicyModelAdmin):
    list_display = ["day", "manager", "calls", "conversations", "talk_s", "operator_s"]
    list_filter = ["day"]
    list_select_related = ["manager__user"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ImportConflict)
class ImportConflictAdmin(PolicyModelAdmin):
    """Calls a re-import would change in a locked month (issue 12): nothing is rewritten until
    an admin takes the file's version here (then the next open month pays the difference as an
    adjustment) or keeps the stored one. Both through the services, audited."""

    list_display = [
        "call", "batch", "line", "status", "old_manager", "new_manager", "old_started_at",
        "new_started_at", "old_duration_s", "new_duration_s", "old_talk_s", "new_talk_s",
        "old_outcome", "new_outcome", "decided_by", "decided_at",
    ]
    list_filter = ["status", "batch"]
    list_select_related = ["batch", "call", "old_manager__user", "new_manager__user",
                           "decided_by"]
    search_fields = ["call__external_id", "batch__file_name"]
    raw_id_fields = ["batch", "call", "old_manager", "new_manager", "decided_by"]
    actions = ["accept", "reject"]
    show_full_result_count = False

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only rows: a conflict is decided by the actions, never edited.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request):
        return self._may(request, policy.DECIDE_CONFLICT)

    def _decide(self, request, queryset, service, done_message):
        decided = 0
        for conflict in queryset:
            try:
                service(conflict=conflict, by=request.user)
                decided += 1
            except ImportRefused as exc:
                self.message_user(request, f"{conflict}: {exc.args[0]}", messages.ERROR)
        if decided:
            self.message_user(request, done_message % {"count": decided}, messages.SUCCESS)

    @admin.action(description=_("Take the file's version (paid as an adjustment)"),
                  permissions=["decide"])
    def accept(self, request, queryset):
        self._decide(request, queryset, import_conflict_accept,
                     _("File's version taken for %(count)d call(s)."))

    @admin.action(description=_("Keep the stored version"), permissions=["decide"])
    def reject(self, request, queryset):
        self._decide(request, queryset, import_conflict_reject,
                     _("Stored version kept for %(count)d call(s)."))
