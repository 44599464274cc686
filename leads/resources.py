"""django-import-export resources for leads, payments and partners (admin import/export).

Every row is validated with the model's rules (``clean_model_instances``): a bad row is
reported with its own error and the good rows are not imported until the file is clean.
Leads and payments are written by the services of the write layer, as the admin's forms write
them: a new lead through ``lead_create`` (normalised, its first owner's row, checked for a
duplicate, SPEC §6.3), a change through ``lead_change`` (a new owner through ``lead_reassign``,
from today, with the file's optional "reason"), a payment through ``payment_create``.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from salesops.admin_scoping import PolicyResourceMixin
from salesops.inputs.resources import WritesThroughTheLayer, reason_in
from salesops.models import Manager

from .models import Lead, Partner, Payment
from .phones import phone_normalise, tax_id_normalise
from .services import (
    LEAD_CHANGEABLE,
    PAYMENT_NEVER_CHANGED,
    LeadError,
    lead_change,
    lead_create,
    lead_delete,
    payment_create,
)


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


class LeadResource(WritesThroughTheLayer, PolicyResourceMixin, resources.ModelResource):
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

    def layer_save(self, instance, *, new, row, by):
        # A dry run rolls back, so the preview shows the flag the real import will set.
        if new:
            saved = lead_create(by=by, **{name: getattr(instance, name)
                                          for name in LEAD_CHANGEABLE})
        else:
            stored = Lead.objects.get(pk=instance.pk)
            saved = lead_change(lead=stored, by=by, reason=reason_in(row), changes={
                name: getattr(instance, name) for name in LEAD_CHANGEABLE
                if _plain(getattr(instance, name)) != _plain(getattr(stored, name))})
        instance.pk, instance.phone, instance.tax_id = saved.pk, saved.phone, saved.tax_id
        instance.duplicate_of_id = saved.duplicate_of_id
        instance.duplicate_state = saved.duplicate_state

    def layer_delete(self, instance, *, row, by):
        lead_delete(lead=instance, by=by)


def _plain(value):
    return value.pk if hasattr(value, "pk") else value


class PaymentResource(WritesThroughTheLayer, PolicyResourceMixin, resources.ModelResource):
    """New payments through ``payment_create`` (late data for an approved month is admitted and
    paid in the next open month); a payment is a fact, never changed or deleted by a file (an
    exported file imported again changes nothing)."""

    # A refund is entered with the admin's Refund action (payment_refund), never by a file:
    # a negative amount without what it refunds is refused by the model's constraint.
    refund_of = fields.Field(attribute="refund_of_id", column_name="refund_of", readonly=True)

    class Meta:
        model = Payment
        fields = ["id", "lead", "amount", "received_on", "kind", "period_start", "refund_of",
                  "external_id"]
        clean_model_instances = True
        skip_unchanged = True
        # A file with any bad row imports nothing: fix the row, import again.
        use_transactions = True

    def layer_save(self, instance, *, new, row, by):
        if not new:
            raise LeadError(PAYMENT_NEVER_CHANGED)
        instance.pk = payment_create(
            lead=instance.lead, amount=instance.amount, received_on=instance.received_on,
            kind=instance.kind, period_start=instance.period_start,
            external_id=instance.external_id, by=by).pk

    def layer_delete(self, instance, *, row, by):
        raise LeadError(PAYMENT_NEVER_CHANGED)
