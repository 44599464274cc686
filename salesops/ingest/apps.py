from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IngestConfig(AppConfig):
    name = "salesops.ingest"
    label = "ingest"
    verbose_name = _("Telephony integrations")
    default_auto_field = "django.db.models.BigAutoField"
