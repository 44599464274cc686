"""Queueing a background job once per burst of changes."""

from celery import current_app
from django.core.cache import cache


def queue_once_per_delay(task, *, key: str, delay_s: int) -> None:
    """Queue ``task`` after ``delay_s``, once per delay: a burst of changes becomes one run
    (the task reads whatever has changed by then). In process (no broker) it runs at once."""
    if current_app.conf.task_always_eager:
        task.apply()
        return
    # The key lapses before the queued task runs, so a change after it queues another one.
    if cache.add(key, True, timeout=max(delay_s - 1, 1)):
        task.apply_async(countdown=delay_s)
