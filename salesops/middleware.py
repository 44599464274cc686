"""Input no page or endpoint can hold is refused at the door with 400, before any view runs.

A NUL byte cannot be stored in PostgreSQL text (psycopg refuses the query): in a path, a query
string, a form field or a JSON body it turned a request into a 500. It is never part of a
valid value here, so the request is refused whole.
"""

import re

from django.core.exceptions import BadRequest
from django.http import JsonResponse
from django.utils.translation import gettext as _

_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


class RejectNulBytes:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            message = _("The request holds a NUL byte, which no value here may hold.")
            if request.path.startswith("/api/"):
                # The API answers in JSON, as its schema says (salesops/api_schema.py).
                return JsonResponse({"detail": message}, status=400)
            raise BadRequest(message)
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path or _any_nul(request.GET):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        return b"\x00" in body or bool(_JSON_NUL.search(body))
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            return _any_nul(request.POST)
        except Exception:  # noqa: BLE001 - a body Django cannot parse is its own 400 later
            return False
    return False


def _any_nul(query_dict) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values)
               for key, values in query_dict.lists())
