"""django-import-export resources for leads, payments and partners (admin import/export).

Every row is validated with the model's rules (``clean_model_instances``): a bad row is
reported with its own error and the good rows are not imported until the file is clean.
Phones and tax ids are normalised like ``lead_create`` does, and imported leads are checked
for duplicates (SPEC §6.3).
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from salesops.admin_scoping import PolicyResourceMixin
from salesops.inputs.resources import MarksPayInputs
from salesops.models import Manager

from .models import Lead, Partner, Payment
from .ownership import lead_owner_first, owner_on_day
from .phones import phone_normalise, tax_id_normalise
from .services import lead_duplicate_flag


class PhoneWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return phone_normalise(str(value or ""))
        except ValidationError as error:
            raise ValueError(error.messages[0]) from error


class TaxIdWidget(widgets.CharWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return tax_id_normalise(str(value or ""))
        except ValidationError as error:
            raise ValueError(error.messages[0]) from error


class PartnerResource(PolicyResourceMixin, resources.ModelResource):
    class Meta:
        model = Partner
        fields = ["id", "name", "email", "default_percent", "hold_days", "recurring_months",
                  "minimum_payout", "is_active"]
        clean_model_instances = True
        # A file with any bad row imports nothing: fix the row, import again.
        use_transactions = True


class LeadResource(PolicyResourceMixin, resources.ModelResource):
    owner = fields.Field(attribute="owner", column_name="owner",
                         widget=widgets.ForeignKeyWidget(Manager, "user__username"))
    partner = fields.Field(attribute="partner", column_name="partner",
                           widget=widgets.ForeignKeyWidget(Partner, "name"))
    phone = fields.Field(attribute="phone", column_name="phone", widget=PhoneWidget())
    tax_id = fields.Field(attribute="tax_id", column_name="tax_id", widget=TaxIdWidget())
    # Duplicate state is decided by the import's check and by a sales head, never by a file.
    duplicate_of = fields.Field(attribute="duplicate_of_id", column_name="duplicate_of",
                                readonly=True)
    duplicate_state = fields.Field(attribute="duplicate_state", column_name="duplicate_state",
                                   readonly=True)

    class Meta:
        model = Lead
        fields = ["id", "name", "company", "phone", "tax_id", "owner", "source", "partner",
                  "created_at", "duplicate_of", "duplicate_state"]
        clean_model_instances = True
        # A file with any bad row imports nothing: fix the row, import again.
        use_transactions = True

    def after_save_instance(self, instance, row, **kwargs):
        lead_owner_first(lead=instance)
        # A dry run rolls back, so the preview shows the flag the real import will set.
        lead_duplicate_flag(lead=instance)


class PaymentResource(MarksPayInputs, PolicyResourceMixin, resources.ModelResource):
    def pay_input_day(self, instance):
        return owner_on_day(lead_id=instance.lead_id, day=instance.received_on), \
            instance.received_on

    # A refund is entered with the admin's Refund action (payment_refund), never by a file:
    # a negative amount without what it refunds is refused by the model's constraint.
    refund_of = fields.Field(attribute="refund_of_id", column_name="refund_of", readonly=True)

    class Meta:
        model = Payment
        fields = ["id", "lead", "amount", "received_on", "kind", "period_start", "refund_of",
                  "external_id"]
        clean_model_instances = True
        # A file with any bad row imports nothing: fix the row, import again.
        use_transactions = True
