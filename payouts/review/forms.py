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


class RequestExceptionForm(forms.Form):
    """A sales head asks for an exception on a lead of the team (SPEC §5); someone else
    decides it."""

    lead = forms.IntegerField(label=_("Lead #"), min_value=1)
    kind = forms.ChoiceField(label=_("Exception"), choices=[
        ("rate", _("Another rate for this lead")), ("fixed", _("A fixed amount")),
        ("exclude", _("Exclude from pay"))])
    rate = forms.DecimalField(label=_("Rate"), required=False, max_digits=14, decimal_places=4,
                              min_value=0)
    amount = forms.DecimalField(label=_("Amount"), required=False, max_digits=14,
                                decimal_places=2)
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 1}))
