from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import HandedStatus, PayoutMethod


class ReferralForm(forms.Form):
    name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    tax_id = forms.CharField(label=_("Tax id"), max_length=20, required=False)
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class PayoutDetailsForm(forms.Form):
    method = forms.ChoiceField(label=_("How to pay you"), choices=PayoutMethod.choices)
    legal_name = forms.CharField(label=_("Recipient (legal entity or person)"), max_length=200,
                                 required=False)
    tax_id = forms.CharField(label=_("Tax id"), max_length=12, required=False)
    bank_name = forms.CharField(label=_("Bank"), max_length=200, required=False)
    bank_bic = forms.CharField(label=_("BIC"), max_length=9, required=False)
    account_number = forms.CharField(label=_("Account number"), max_length=20, required=False)
    card_number = forms.CharField(label=_("Card number"), max_length=23, required=False)
    other_details = forms.CharField(label=_("Details"), max_length=1000, required=False,
                                    widget=forms.Textarea(attrs={"rows": 3}))


class HandedStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=HandedStatus.choices)


class HandedPaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Client's payment"), max_digits=14, decimal_places=2,
                                min_value=Decimal("0.01"))
    received_on = forms.DateField(label=_("Client paid on"),
                                  widget=forms.DateInput(attrs={"type": "date"}))


class HandForm(forms.Form):
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None)
    percent = forms.DecimalField(label=_("Our commission, %"), max_digits=5, decimal_places=2,
                                 min_value=Decimal("0.01"), max_value=100, initial=10)

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
