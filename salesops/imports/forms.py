from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .selectors import available_presets
from .upload_rules import validate_upload


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
        help_text=_("Empty: the organisation's time zone (%(zone)s).") % {
            "zone": settings.TIME_ZONE},
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
