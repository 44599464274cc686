from django import forms
from django.utils.translation import gettext_lazy as _


class DecisionForm(forms.Form):
    """Approve or reject an exception, accept or reject an inquiry: a rejection needs a reason
    (the services refuse one without it too)."""

    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    comment = forms.CharField(label=_("Reason"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", _("A rejection needs a reason."))
        return data

    @property
    def approved(self) -> bool:
        return self.cleaned_data["decision"] == "approve"
