"""Query parameters of pages, read strictly: a value that is given but is not what the
parameter takes answers 400 (Django's ``BadRequest``), never a default chosen silently or a 500.
The API reads its own through DRF serializers (``salesops.api``)."""

import datetime
from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.utils.translation import gettext as _

from .periods import parse_month


def month_param(request, default: Callable[[], datetime.date]) -> datetime.date:
    """``?month=YYYY-MM``; absent or empty: ``default()``."""
    text = request.GET.get("month", "")
    if not text:
        return default()
    try:
        return parse_month(text)
    except ValueError:
        raise BadRequest(_("“month” is a month written YYYY-MM.")) from None


def id_param(request, name: str) -> int | None:
    """``?<name>=<id>`` (a positive whole number); absent or empty: None."""
    text = request.GET.get(name, "")
    if not text:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise BadRequest(_("“%(name)s” is an id (a whole number).") % {"name": name})
    return int(text)
