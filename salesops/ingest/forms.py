"""Forms of the integration screens: the JSON paths of the generic adapter."""

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from .adapters.generic import FIELDS

LABELS = {
    "external_id": _("Call id"), "started_at": _("Started at"),
    "duration_s": _("Duration, s"), "manager": _("Manager (extension, login, alias…)"),
    "talk_s": _("Talk, s"), "status": _("Status"), "direction": _("Direction (in / out)"),
    "phone": _("Phone"), "recording_url": _("Recording"), "wrapup_s": _("Wrap-up, s"),
    "manager_alt": _("Manager, if the first names nobody"),
}


class JsonMappingForm(forms.Form):
    """Call field → JSON path, like the import's column mapping with paths for columns."""

    calls = forms.CharField(
        label=_("Where the calls are"), required=False, max_length=200,
        help_text=_("Path of the list of calls in the body; empty: the body is one call or a "
                    "list of them."))
    sample = forms.CharField(
        label=_("A body the PBX posts"), required=False, widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Paste one to see what each path picks from it."))

    def __init__(self, *args, mapping: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        mapping = mapping or {}
        self.fields["calls"].initial = mapping.get("calls", "")
        for name, needed in FIELDS.items():
            self.fields[name] = forms.CharField(
                label=LABELS[name], required=needed, max_length=200,
                initial=mapping.get(name, ""),
                widget=forms.TextInput(attrs={"placeholder": "call.id"}))

    def clean_sample(self):
        text = self.cleaned_data["sample"].strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise forms.ValidationError(_("This is not JSON.")) from None

    def mapping(self) -> dict:
        names = ["calls", *FIELDS]
        return {name: self.cleaned_data[name].strip() for name in names
                if self.cleaned_data.get(name, "").strip()}

    def field_rows(self):
        return [self[name] for name in FIELDS]
