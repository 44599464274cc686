"""django-import-export resources for the admin's preview-and-confirm import of small files.

They read values with the same parsers as the big-file importer (durations, day-first dates,
XLSX time cells, phones), match managers the same way (extension, login, e-mail, alias) and
map statuses through the same table, so the two paths agree on every row.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from salesops.admin_scoping import PolicyResourceMixin
from salesops.inputs.activity import (
    call_delete,
    call_save,
    shift_delete,
    shift_save,
    target_delete,
    target_set,
)
from salesops.inputs.membership import membership_first
from salesops.inputs.resources import WritesThroughTheLayer, reason_in
from salesops.models import CallLog, Manager, MonthlyPlan, Team, WorkShift
from salesops.periods import organisation_zone

from .selectors import manager_keys, status_map
from .values import name_key, normalise_phone, parse_datetime, parse_direction, parse_duration
from .vocabulary import status_key


class ManagerKeyWidget(widgets.ForeignKeyWidget):
    """A manager named by extension, telephony login, e-mail, alias or username."""

    def __init__(self):
        super().__init__(Manager)
        self._keys = None

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().casefold()
        if not text:
            return None
        if self._keys is None:
            self._keys = dict(manager_keys())
        manager_id = self._keys.get(text) or self._keys.get(name_key(text))
        if manager_id is None:
            manager = Manager.objects.filter(user__username__iexact=text).first()
            if manager is None:
                raise ValueError(f"unknown manager: {value}")
            return manager
        return Manager.objects.get(pk=manager_id)

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else (value.extension or value.user.get_username())


class AwareDateTimeWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        if value in (None, ""):
            return None
        return parse_datetime(value, organisation_zone())

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else value.astimezone(organisation_zone()).isoformat()


class DurationWidget(widgets.IntegerWidget):
    def clean(self, value, row=None, **kwargs):
        return parse_duration("" if value is None else value)


class PhoneWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return normalise_phone(value)


class OutcomeWidget(widgets.IntegerWidget):
    """An outcome number (0–5) or any status value in the status mappings."""

    def clean(self, value, row=None, **kwargs):
        text = str(value if value is not None else "").strip()
        if text.isdigit():
            return int(text)
        outcome = status_map("").get(status_key(text))
        if outcome is None:
            for preset in ("asterisk", "russian", "vicidial", "twilio", "freeswitch"):
                outcome = status_map(preset).get(status_key(text))
                if outcome is not None:
                    break
        if outcome is None:
            raise ValueError(f"unknown status: {value}")
        return outcome


class DirectionWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        return parse_direction(value or "out") or "out"


class CallResource(WritesThroughTheLayer, PolicyResourceMixin, resources.ModelResource):
    """Calls by (source, external id), written by ``call_save``: a call an approved month
    counted is never rewritten by a file (another manager, talk, an erased recording): the row
    is refused with the reason; a new call for that month is late data, admitted. (The
    importer at /imports/ turns such a row into a conflict for an admin to decide.)"""

    manager = fields.Field(attribute="manager", column_name="manager", widget=ManagerKeyWidget())
    started_at = fields.Field(attribute="started_at", column_name="started_at",
                              widget=AwareDateTimeWidget())
    duration_s = fields.Field(attribute="duration_s", column_name="duration_s",
                              widget=DurationWidget())
    talk_s = fields.Field(attribute="talk_s", column_name="talk_s", widget=DurationWidget())
    wrapup_s = fields.Field(attribute="wrapup_s", column_name="wrapup_s", widget=DurationWidget())
    phone = fields.Field(attribute="phone", column_name="phone", widget=PhoneWidget())
    outcome = fields.Field(attribute="outcome", column_name="outcome", widget=OutcomeWidget())
    direction = fields.Field(attribute="direction", column_name="direction",
                             widget=DirectionWidget())

    class Meta:
        model = CallLog
        fields = ("source", "external_id", "manager", "started_at", "duration_s", "talk_s",
                  "wrapup_s", "direction", "phone", "outcome", "recording_url")
        import_id_fields = ("source", "external_id")
        skip_unchanged = True
        report_skipped = True
        use_bulk = False

    def layer_save(self, instance, *, new, row, by):
        call_save(call=instance, by=by, reason=reason_in(row))

    def layer_delete(self, instance, *, row, by):
        call_delete(call=instance, by=by, reason=reason_in(row))

    def before_import_row(self, row, **kwargs):
        if not row.get("source"):
            row["source"] = "spreadsheet"

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.full_clean(exclude=["batch"])


class ShiftResource(WritesThroughTheLayer, PolicyResourceMixin, resources.ModelResource):
    manager = fields.Field(attribute="manager", column_name="manager", widget=ManagerKeyWidget())
    started_at = fields.Field(attribute="started_at", column_name="started_at",
                              widget=AwareDateTimeWidget())
    ended_at = fields.Field(attribute="ended_at", column_name="ended_at",
                            widget=AwareDateTimeWidget())

    class Meta:
        model = WorkShift
        fields = ("manager", "started_at", "ended_at")
        import_id_fields = ("manager", "started_at")
        skip_unchanged = True

    def layer_save(self, instance, *, new, row, by):
        shift_save(shift=instance, by=by, reason=reason_in(row))

    def layer_delete(self, instance, *, row, by):
        shift_delete(shift=instance, by=by, reason=reason_in(row))


class ManagerResource(PolicyResourceMixin, resources.ModelResource):
    """Telephony identifiers of existing users' managers, keyed by username.

    A role is never set or changed by a file (only ``manager_set_role`` grants roles, by the
    policy's grant table, audited): the column is exported for reading and a row that asks for
    another role than the person holds is refused. New profiles are plain managers; a team is
    given to a new profile only (moving people is a role screen's job)."""

    user = fields.Field(attribute="user", column_name="username",
                        widget=widgets.ForeignKeyWidget(get_user_model(), "username"))
    team = fields.Field(attribute="team", column_name="team",
                        widget=widgets.ForeignKeyWidget(Team, "code"))
    role = fields.Field(attribute="role", column_name="role", readonly=True)

    class Meta:
        model = Manager
        fields = ("user", "role", "team", "extension", "telephony_login", "telephony_email",
                  "active_from", "active_to")
        import_id_fields = ("user",)
        skip_unchanged = True
        clean_model_instances = True
        use_transactions = True

    def import_instance(self, instance, row, **kwargs):
        stored = (Manager.objects.filter(pk=instance.pk).values("role", "team_id").first()
                  if instance.pk else {"role": Manager._meta.get_field("role").default})
        wanted = str(row.get("role") or "").strip()
        if wanted and wanted != stored["role"]:
            raise ValidationError({"role": _("A role is never set by an import.")})
        super().import_instance(instance, row, **kwargs)
        if instance.pk and instance.team_id != stored["team_id"]:
            raise ValidationError({"team": _("A team changes with the role, not by an import.")})

    def save_instance(self, instance, is_create, row, **kwargs):
        super().save_instance(instance, is_create, row, **kwargs)
        if is_create and instance.pk and instance.team_id:
            # Dated membership (SPEC §1): in the team from the first day the person works.
            membership_first(manager=instance, team=instance.team, since=instance.active_from,
                             by=kwargs.get("user"))


class MonthlyPlanResource(WritesThroughTheLayer, PolicyResourceMixin, resources.ModelResource):
    """Targets by (manager, month), set by ``target_set``: those of an approved month change
    only as a correction, with a reason (the file's optional "reason" column), by the owner or
    an admin; paid as an adjustment in the next open month (SPEC §6.5)."""

    manager = fields.Field(attribute="manager", column_name="manager", widget=ManagerKeyWidget())
    month = fields.Field(attribute="month", column_name="month", widget=widgets.DateWidget())

    class Meta:
        model = MonthlyPlan
        fields = ("manager", "month", "target_conversations", "target_confirmed_leads",
                  "target_revenue")
        import_id_fields = ("manager", "month")
        skip_unchanged = True

    def layer_save(self, instance, *, new, row, by):
        saved = target_set(
            manager=instance.manager, month=instance.month,
            conversations=instance.target_conversations,
            confirmed_leads=instance.target_confirmed_leads, revenue=instance.target_revenue,
            by=by, reason=reason_in(row))
        instance.pk = saved.pk

    def layer_delete(self, instance, *, row, by):
        target_delete(plan=instance, by=by, reason=reason_in(row))
