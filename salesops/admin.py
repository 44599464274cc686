from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from . import policy
from .admin_inputs import PayInputAdminMixin, RefusalsShownMixin
from .admin_scoping import PolicyImportExportAdmin, PolicyModelAdmin
from .admin_users import PolicyGroupAdmin, PolicyUserAdmin  # noqa: F401 - re-registers auth
from .audit_words import action_label, audit_entry_text
from .imports.admin import ImportBatchAdmin  # noqa: F401 - registers the import models' admin
from .imports.resources import CallResource, ManagerResource, MonthlyPlanResource, ShiftResource
from .inputs import locked_days
from .inputs.activity import (
    call_delete,
    call_save,
    shift_delete,
    shift_save,
    target_delete,
    target_set,
)
from .inputs.membership import membership_first, membership_transfer
from .models import (
    AuditEntry,
    CallLog,
    Manager,
    MonthlyPlan,
    Role,
    Team,
    TeamMembership,
    WorkShift,
)
from .periods import month_start
from .services import manager_set_role


@admin.register(Team)
class TeamAdmin(PolicyModelAdmin):
    list_display = ["name", "code", "member_count"]
    search_fields = ["name", "code"]

    @admin.display(description=_("members"))
    def member_count(self, team):
        return team.members.count()


@admin.register(Manager)
class ManagerAdmin(RefusalsShownMixin, PolicyImportExportAdmin):
    """A role (and a team) changes only through ``manager_set_role``: the policy's grant
    table decides which roles the user may give, and the change is audited. A new team is a
    dated move from today (``membership_transfer``); a move from another day is recorded on
    the team memberships page."""

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
            if team is not None:
                # Dated membership (SPEC §1): in the team from the first day the person works.
                membership_first(manager=obj, team=team, since=obj.active_from,
                                 by=request.user)
            manager_set_role(manager=obj, role=role, team=team, by=request.user)


@admin.register(CallLog)
class CallLogAdmin(PayInputAdminMixin, PolicyImportExportAdmin):
    """Calls are written by ``call_save`` and ``call_delete``: a call an approved month counted
    is neither changed nor deleted here (SPEC §6.5); a late call for it is admitted, and the
    next open month pays it. A call's batch is the importer's, never a form's."""

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
    readonly_fields = ["batch"]
    # Counting millions of rows on every page view is what makes big admin lists slow.
    show_full_result_count = False

    def import_large_file(self, request, upload):
        """A file too large to preview here goes to the big-file import, which runs in the
        background with its own progress page (salesops.imports)."""
        from .imports.services import import_batch_create, import_batch_recognise_soon

        batch = import_batch_create(file=upload, file_name=upload.name, created_by=request.user)
        import_batch_recognise_soon(batch=batch)
        return redirect("imports:batch", pk=batch.pk)

    def layer_save(self, request, obj, form, change):
        call_save(call=obj, by=request.user)

    def layer_delete(self, request, obj):
        call_delete(call=obj, by=request.user)


@admin.register(WorkShift)
class WorkShiftAdmin(PayInputAdminMixin, PolicyImportExportAdmin):
    """Shifts are written by ``shift_save`` and ``shift_delete`` (as calls are)."""

    resource_classes = [ShiftResource]
    list_display = ["manager", "started_at", "ended_at"]
    list_filter = ["manager__team"]
    list_select_related = ["manager__user"]
    search_fields = ["manager__user__username", "manager__user__last_name"]
    date_hierarchy = "started_at"
    autocomplete_fields = ["manager"]

    def layer_save(self, request, obj, form, change):
        shift_save(shift=obj, by=request.user)

    def layer_delete(self, request, obj):
        shift_delete(shift=obj, by=request.user)


class MonthlyPlanForm(forms.ModelForm):
    reason = forms.CharField(
        label=_("reason for the correction"), required=False, widget=forms.Textarea,
        help_text=_("Required when the month is approved: then only the owner or an admin "
                    "corrects its targets, and the next open month pays the difference."))

    class Meta:
        model = MonthlyPlan
        fields = ["manager", "month", "target_conversations", "target_confirmed_leads",
                  "target_revenue"]

    def clean(self):
        data = super().clean()
        manager = data.get("manager") or getattr(self.instance, "manager", None)
        month = data.get("month") or self.instance.month
        if (manager is not None and month and self.has_changed()
                and not (data.get("reason") or "").strip()
                and locked_days({(manager.pk, month_start(month))})):
            self.add_error("reason", _("The month is approved: give the reason for the "
                                       "correction."))
        return data


@admin.register(MonthlyPlan)
class MonthlyPlanAdmin(PayInputAdminMixin, PolicyImportExportAdmin):
    """Targets are set by ``target_set`` (SPEC §6.5: those of an approved month change only as
    a correction with a reason, by the owner or an admin, audited and paid as an adjustment).
    A plan's person and month are its key: another person's or month's targets are a plan of
    their own."""

    form = MonthlyPlanForm
    resource_classes = [MonthlyPlanResource]
    list_display = [
        "manager", "month", "target_conversations", "target_confirmed_leads", "target_revenue",
    ]
    list_filter = ["month", "manager__team"]
    list_select_related = ["manager__user"]
    search_fields = ["manager__user__username", "manager__user__last_name"]
    date_hierarchy = "month"
    autocomplete_fields = ["manager"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "manager", "month"] if obj is not None else fields

    def layer_save(self, request, obj, form, change):
        saved = target_set(
            manager=obj.manager, month=obj.month, conversations=obj.target_conversations,
            confirmed_leads=obj.target_confirmed_leads, revenue=obj.target_revenue,
            by=request.user, reason=form.cleaned_data.get("reason", ""))
        obj.pk = saved.pk

    def layer_delete(self, request, obj):
        target_delete(plan=obj, by=request.user)


class TeamMembershipForm(forms.ModelForm):
    reason = forms.CharField(label=_("reason"), required=False, widget=forms.Textarea)

    class Meta:
        model = TeamMembership
        fields = ["manager", "team", "since"]

    def validate_unique(self):
        # A second move on the same day replaces the first (``membership_transfer``).
        pass


@admin.register(TeamMembership)
class TeamMembershipAdmin(PayInputAdminMixin, PolicyModelAdmin):
    """Who was in which team from when (SPEC §1). A move is added here, from a day, by
    ``membership_transfer`` (refused when it reaches into an approved month; both teams'
    months marked; audited); history is never edited or deleted (the policy allows neither)."""

    form = TeamMembershipForm
    list_display = ["manager", "team", "since", "created_by", "created_at"]
    list_filter = ["team", "since"]
    list_select_related = ["manager__user", "team", "created_by"]
    search_fields = ["manager__user__username", "manager__user__last_name"]
    date_hierarchy = "since"
    autocomplete_fields = ["manager"]

    def get_fields(self, request, obj=None):
        # A move is read, never edited: its reason is in the audit trail.
        if obj is not None:
            return ["manager", "team", "since", "created_by", "created_at"]
        return super().get_fields(request, obj)

    def layer_save(self, request, obj, form, change):
        saved = membership_transfer(manager=obj.manager, team=obj.team, since=obj.since,
                                    by=request.user, reason=form.cleaned_data.get("reason", ""))
        obj.pk = saved.pk

    def layer_delete(self, request, obj):
        raise policy.AccessDenied(_("Team history is not deleted: record a new move."))


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
