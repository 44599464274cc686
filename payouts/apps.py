from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayoutsConfig(AppConfig):
    name = "payouts"
    verbose_name = _("Pay")

    def ready(self):
        from salesops.inputs import on_open_month_change

        from .tasks import refresh_open_month_pay_soon

        # Keep the open month's "earned so far" fresh: once a change to it commits, the
        # people it touched are recomputed (debounced).
        on_open_month_change(refresh_open_month_pay_soon)
