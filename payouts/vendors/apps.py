from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VendorsConfig(AppConfig):
    """Outsourced call centres: contracts, statements, prepaid balance, pilots, QA, what-if."""

    name = "payouts.vendors"
    label = "vendors"
    verbose_name = _("Outsourced call centres")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from salesops.inputs import on_open_month_change

        from .tasks import vendor_balances_sync_soon

        # Prepaid minutes and hours are written off as the work is imported: once a change
        # to the open month commits, the prepaid vendors' write-offs catch up.
        on_open_month_change(vendor_balances_sync_soon)
