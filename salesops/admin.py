from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_scoping import ScopedModelAdmin
from .imports.admin import ImportBatchAdmin  # noqa: F401 - registers the import models' admin
from .imports.resources import CallResource, ManagerResource, MonthlyPlanResource, ShiftResource
from .imports.upload_rules import CheckedImportExportMixin as ImportExportMixin
from .models import CallLog, Manager, MonthlyPlan, Team, WorkShift


@admin.register(Team)
class TeamAdmin(ScopedModelAdmin):
    scope_via = "members"
    list_display = ["name", "code", "member_count"]
    search_fields = ["name", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    @admin.display(description=_("members"))
    def member_count(self, team):
        return team.members.count()


@admin.register(Manager)
class ManagerAdmin(ImportExportMixin, ScopedModelAdmin):
    resource_classes = [ManagerResource]
    scope_via = ""
    list_display = [
        "__str__", "user", "role", "team", "extension", "telephony_login", "active_from",
        "active_to",
    ]
    list_filter = ["role", "team", "active_to"]
    list_select_related = ["user", "team"]
    search_fields = [
        "user__username", "user__first_name", "user__last_name", "user__email",
        "extension", "telephony_login", "telephony_email",
    ]
    autocomplete_fields = ["user"]


@admin.register(CallLog)
class CallLogAdmin(ImportExportMixin, ScopedModelAdmin):
    # Small files, with preview and confirm; any size goes through /imports/ (salesops.imports).
    resource_classes = [CallResource]
    list_display = [
        "started_at", "manager", "direction", "phone", "duration_s", "talk_s", "wrapup_s",
        "outcome", "source",
    ]
    list_filter = ["outcome", "direction", "source", "manager__team"]
    list_select_related = ["manager__user"]
    search_fields = ["external_id", "phone", "manager__user__username", "manager__extension"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["manager"]
    raw_id_fields = ["batch"]
    # Counting millions of rows on every page view is what makes big admin lists slow.
    show_full_result_count = False


@admin.register(WorkShift)
class WorkShiftAdmin(ImportExportMixin, ScopedModelAdmin):
    resource_classes = [ShiftResource]
    list_display = ["manager", "started_at", "ended_at"]
    list_filter = ["manager__team"]
    list_select_related = ["manager__user"]
    search_fields = ["manager__user__username", "manager__user__last_name"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["manager"]


@admin.register(MonthlyPlan)
class MonthlyPlanAdmin(ImportExportMixin, ScopedModelAdmin):
    resource_classes = [MonthlyPlanResource]
    list_display = [
        "manager", "month", "target_conversations", "target_confirmed_leads", "target_revenue",
    ]
    list_filter = ["month", "manager__team"]
    list_select_related = ["manager__user"]
    search_fields = ["manager__user__username", "manager__user__last_name"]
    date_hierarchy = "month"
    autocomplete_fields = ["manager"]
