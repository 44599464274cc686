from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from salesops.models import Outcome

from .presets import FIELDS
from .selectors import available_presets
from .synonyms import FIELD_LABELS
from .upload_rules import validate_upload
from .values import DAY_FIRST, MONTH_FIRST
from .vocabulary import suggested_outcome


def preset_choices() -> list[tuple[str, str]]:
    return [("", _("Recognise from the file")),
            *((preset.name, str(preset.label)) for preset in available_presets())]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Call log file"),
        help_text=_("CSV (any delimiter, UTF-8 or Windows-1251) or XLSX, as exported."),
    )
    preset = forms.ChoiceField(label=_("Layout"), required=False, choices=preset_choices)
    time_zone = forms.CharField(
        label=_("Time zone of the file"), required=False, max_length=64,
        # Said in the language of each request, not the one the module was imported in.
        help_text=lazy(lambda: _("Empty: the organisation's time zone (%(zone)s).") % {
            "zone": settings.TIME_ZONE}, str)(),
    )
    source = forms.CharField(
        label=_("Telephony source"), required=False, max_length=64,
        help_text=_("Empty: named after the layout. Calls are unique per source and call id."),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: check the file, write no calls"), required=False
    )

    def clean_file(self):
        validate_upload(self.cleaned_data["file"])
        return self.cleaned_data["file"]

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"].strip()
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise forms.ValidationError(_("Unknown time zone.")) from None
        return zone


NOT_IN_FILE = ""
# What most spreadsheets hold, shown first; the rest are for telephony (PBX) exports.
MAIN_FIELDS = ["call_id", "agent", "started_at", "date", "time", "duration", "talk", "wrapup",
               "status", "phone", "direction", "recording"]


class ColumnsForm(forms.Form):
    """The mapping screen: one select per field of a call, each offering the file's columns."""

    has_header = forms.BooleanField(label=_("The file has a header row"), required=False)
    header_row = forms.TypedChoiceField(label=_("Header row"), coerce=int, required=False,
                                        empty_value=0)
    date_order = forms.ChoiceField(
        label=_("How the dates read"), required=False, widget=forms.RadioSelect,
        choices=[(DAY_FIRST, _("Day first (DD/MM/YYYY)")),
                 (MONTH_FIRST, _("Month first (MM/DD/YYYY), as in the USA"))],
    )
    save_as = forms.CharField(
        label=_("Save this mapping as a preset named"), required=False, max_length=200,
        help_text=_("The next file with these columns is then imported without this screen."),
    )

    def __init__(self, *args, proposal, **kwargs):
        kwargs.setdefault("initial", {
            "has_header": proposal.has_header, "header_row": proposal.header_row,
            "date_order": "" if proposal.dates_ambiguous else proposal.date_order,
            **{f"field_{name}": str(index) for name, index in proposal.columns.items()},
        })
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        self.fields["header_row"].choices = [
            (index, _("Row %(number)d: %(cells)s") % {"number": index + 1,
                                                     "cells": text or "…"})
            for index, text in enumerate(proposal.candidates)
        ]
        choices = [(NOT_IN_FILE, _("— not in the file —")),
                   *((str(index), proposal.column_name(index))
                     for index in range(proposal.width))]
        for name in FIELDS:
            self.fields[f"field_{name}"] = forms.ChoiceField(
                label=FIELD_LABELS[name], choices=choices, required=False,
            )

    def field_rows(self, names=None):
        """(bound field, how it was matched) per field, for the template."""
        return [(self[f"field_{name}"], self.proposal.how.get(name, ""))
                for name in names or FIELDS]

    def main_rows(self):
        return self.field_rows(MAIN_FIELDS)

    @property
    def pbx_matched(self) -> bool:
        return any(how for _field, how in self.pbx_rows())

    def pbx_rows(self):
        return self.field_rows([name for name in FIELDS if name not in MAIN_FIELDS])

    def clean_date_order(self):
        order = self.cleaned_data.get("date_order", "")
        if self.proposal.dates_ambiguous and not order:
            raise forms.ValidationError(_(
                "Every date of the file reads both ways: say whether the day or the month "
                "comes first."))
        return order

    def chosen(self) -> tuple[dict[str, int], bool, list[str], int, str]:
        """(field → column, whether the file has a header, the header's names, the records
        above the header or the data, day or month first as the admin said)."""
        data = self.cleaned_data
        has_header = data["has_header"]
        if not has_header:
            header = []
        elif self.proposal.has_header:
            header = list(self.proposal.header)
        else:  # the admin says the header row's record, read as data, is the header
            header = list(self.proposal.rows[0]) if self.proposal.rows else []
        columns = {name: int(data[f"field_{name}"]) for name in FIELDS
                   if data.get(f"field_{name}", NOT_IN_FILE) != NOT_IN_FILE}
        return columns, has_header, header, self.proposal.header_row, data["date_order"]


class ValuesForm(forms.Form):
    """The error report's unknown values, each mapped once: to a manager, or to an outcome."""

    def __init__(self, *args, unknown, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.unknown = unknown
        self.manager_rows, self.status_rows = [], []
        self.unmappable = [item for item in unknown.managers if not item.mappable]
        for number, item in enumerate(unknown.managers):
            if not item.mappable:
                continue
            name = f"manager_{number}"
            self.fields[name] = forms.ModelChoiceField(
                queryset=managers, required=False, label=item.value,
                empty_label=_("— leave unmapped —"),
            )
            self.manager_rows.append((item, self[name]))
        outcomes = [("", _("— leave unmapped —")), *Outcome.choices]
        for number, item in enumerate(unknown.statuses):
            name = f"status_{number}"
            # The vocabulary's reading of a word it knows but does not apply («Успешный»):
            # pre-filled, saved only when the admin submits the form.
            suggestion = suggested_outcome(item.value)
            self.fields[name] = forms.TypedChoiceField(
                choices=outcomes, coerce=int, empty_value=None, required=False,
                label=item.value, initial=None if suggestion is None else int(suggestion),
            )
            self.status_rows.append((item, self[name], suggestion is not None))

    def chosen(self) -> tuple[dict, dict]:
        """(value → manager, value → outcome) for the values the admin mapped."""
        data = self.cleaned_data
        managers = {item.value: data[field.name] for item, field in self.manager_rows
                    if data.get(field.name) is not None}
        statuses = {item.value: data[field.name] for item, field, _suggested in self.status_rows
                    if data.get(field.name) is not None}
        return managers, statuses

    def clean(self):
        data = super().clean()
        if not any(data.get(name) is not None for name in self.fields):
            raise forms.ValidationError(_("Map at least one value, then run the file again."))
        return data
