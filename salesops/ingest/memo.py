"""What every posted call reads and that changes rarely (the manager keys, the status
mappings, an integration's teams and the batch of its day), kept by each process for
``INGEST_LOOKUP_TTL_S`` seconds: a webhook then costs its own writes, not the reads of the
organisation's configuration. An alias or mapping added is seen that much later; a call
posted before it is reported and queued for mapping, and taken when posted again."""

import threading
import time
from collections.abc import Callable

from django.conf import settings

_lock = threading.Lock()
_kept: dict[tuple, tuple[float, object]] = {}


def remembered(key: tuple, read: Callable[[], object]):
    ttl = settings.INGEST_LOOKUP_TTL_S
    if ttl <= 0:
        return read()
    now = time.monotonic()
    with _lock:
        found = _kept.get(key)
    if found is not None and now - found[0] < ttl:
        return found[1]
    value = read()
    with _lock:
        _kept[key] = (now, value)
        if len(_kept) > 1000:  # integrations × days: never grows without bound
            _kept.clear()
    return value


def forget(key: tuple) -> None:
    with _lock:
        _kept.pop(key, None)
