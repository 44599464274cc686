from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from . import policy
from .admin_scoping import PolicyImportExportAdmin, PolicyModelAdmin
from .admin_users import PolicyGroupAdmin, PolicyUserAdmin  # noqa: F401 - re-registers auth
from .audit_words import action_label, audit_entry_text
from .imports.admin import ImportBatchAdmin  # noqa: F401 - registers the import models' admin
from .imports.resources import CallResource, ManagerResource, MonthlyPlanResource, ShiftResource
from .models import AuditEntry, CallLog, Manager, MonthlyPlan, Role, Team, WorkShift
from .services import manager_set_role


@admin.register(Team)
class TeamAdmin(PolicyModelAdmin):
    list_display = ["name", "code", "member_count"]
    search_fields = ["name", "code"]

    @admin.display(description=_("members"))
    def member_count(self, team):
        return team.members.count()


@admin.register(Manager)
class ManagerAdmin(PolicyImportExportAdmin):
    """A role (and a team) changes only through ``manager_set_role``: the policy's grant
    table decides which roles the user may give, and the change is audited."""

    resource_classes = [ManagerResource]
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

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The login behind a profile never changes: that would hand someone its role.
            fields.append("user")
            if not any(policy.may_grant(request.user, manager=obj, role=role)
                       for role in policy.grantable_roles(request.user)):
                fields.append("role")
        return fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            grantable = policy.grantable_roles(request.user)
            kwargs["choices"] = [(value, label) for value, label in Role.choices
                                 if value in grantable]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        role, team = obj.role, obj.team
        if change and {"role", "team"} & set(form.changed_data):
            stored = Manager.objects.get(pk=obj.pk)
            obj.role, obj.team = stored.role, stored.team
            super().save_model(request, obj, form, change)
            manager_set_role(manager=obj, role=role, team=team, by=request.user)
            return
        if not change and not policy.may_grant(request.user, manager=obj, role=role):
            raise policy.AccessDenied(_("You may not give this role."))
        super().save_model(request, obj, form, change)
        if not change:
            manager_set_role(manager=obj, role=role, team=team, by=request.user)


@admin.register(CallLog)
class CallLogAdmin(PolicyImportExportAdmin):
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

    def import_large_file(self, request, upload):
        """A file too large to preview here goes to the big-file import, which runs in the
        background with its own progress page (salesops.imports)."""
        from .imports.services import import_batch_create, import_batch_recognise_soon

        batch = import_batch_create(file=upload, file_name=upload.name, created_by=request.user)
        import_batch_recognise_soon(batch=batch)
        return redirect("imports:batch", pk=batch.pk)


@admin.register(WorkShift)
class WorkShiftAdmin(PolicyImportExportAdmin):
    resource_classes = [ShiftResource]
    list_display = ["manager", "started_at", "ended_at"]
    list_filter = ["manager__team"]
    list_select_related = ["manager__user"]
    search_fields = ["manager__user__username", "manager__user__last_name"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["manager"]


@admin.register(MonthlyPlan)
class MonthlyPlanAdmin(PolicyImportExportAdmin):
    resource_classes = [MonthlyPlanResource]
    list_display = [
        "manager", "month", "target_conversations", "target_confirmed_leads", "target_revenue",
    ]
    list_filter = ["month", "manager__team"]
    list_select_related = ["manager__user"]
    search_fields = ["manager__user__username", "manager__user__last_name"]
    date_hierarchy = "month"
    autocomplete_fields = ["manager"]


class ActionFilter(admin.SimpleListFilter):
    """The audit trail's actions by their names in the reader's language."""

    title = _("what happened")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = model_admin.get_queryset(request).order_by().values_list(
            "action", flat=True).distinct()
        labels = {}
        for action in actions:
            labels.setdefault(action_label(action), []).append(action)
        return sorted(((",".join(codes), label) for label, codes in labels.items()),
                      key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(action__in=self.value().split(","))
        return queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(PolicyModelAdmin):
    """The audit trail: read by those who decide, edited by nobody (SPEC §5); each row in
    words (``salesops.audit_words``), not its stored codes and data."""

    list_display = ["at", "who", "what", "comment"]
    list_filter = [ActionFilter]
    list_select_related = ["by"]
    search_fields = ["object_id", "by__username", "by__last_name", "comment"]
    date_hierarchy = "at"
    fields = ["at", "who", "what", "comment"]
    readonly_fields = fields

    @admin.display(description=_("who"), ordering="by__username")
    def who(self, entry):
        if entry.by is None:
            return _("scheduled task")
        return entry.by.get_full_name() or entry.by.get_username()

    @admin.display(description=_("what happened"))
    def what(self, entry):
        return audit_entry_text(entry)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
