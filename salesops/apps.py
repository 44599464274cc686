from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesopsConfig(AppConfig):
    name = "salesops"
    verbose_name = _("Sales floor")

    def ready(self):
        from .inputs.guard import doors_install

        doors_install()  # every Celery task is a door (salesops.inputs.guard)
