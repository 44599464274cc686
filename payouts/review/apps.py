from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    """The sales head's month (pages, API) and the notifications it sends."""

    name = "payouts.review"
    label = "review"
    verbose_name = _("Month review")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from payouts import notifications

        notifications.connect()
