import os
import resource

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesops.settings")

app = Celery("salesops")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Tasks in packages below an app are not found by the default discovery.
app.autodiscover_tasks(["salesops.imports"])


@worker_process_init.connect
def memory_ceiling(**_kwargs) -> None:
    """Each worker child gets a ceiling on its address space (``SALESOPS_WORKER_MEMORY_MB``):
    one file cannot take the machine. Past it an allocation fails: Python raises MemoryError
    (the task fails and says so), native code aborts the child, whose task counts it as an
    attempt (salesops.imports.services)."""
    from django.conf import settings

    megabytes = settings.SALESOPS_WORKER_MEMORY_MB
    if megabytes:
        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
