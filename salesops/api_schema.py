"""What the API's schema (/api/schema/) says beyond what DRF infers, so that it tells the truth
about every answer (schemathesis checks it in CI: ``.ci/run``).

- ``MonthField``: a month is the string "YYYY-MM" both ways, never a date.
- ``query_params``: a list's filters are read by a serializer, so a bad value is 400 with the
  field named, and the schema lists each with its type and an example that is valid input.
- ``document_error_answers``: every operation documents the answers any request may get: 400
  (a bad parameter or body, a NUL byte anywhere: ``salesops.middleware``), 401 and 403 (not
  signed in, or the policy refuses), 404 (not there, or not the caller's to see), 429 (the
  request rate, DRF throttling).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .periods import month_text, parse_month

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
MONTH_EXAMPLE = "2026-11"


@extend_schema_field({
    "type": "string", "pattern": MONTH_PATTERN, "example": MONTH_EXAMPLE,
    "description": "a month, YYYY-MM",
})
class MonthField(serializers.Field):
    default_error_messages = {"invalid": _("A month is written YYYY-MM, e.g. 2026-11.")}

    def to_representation(self, value):
        return month_text(value)

    def to_internal_value(self, data):
        try:
            return parse_month(data)
        except (TypeError, ValueError):
            self.fail("invalid")


def query_params(serializer_class, request) -> dict:
    """The validated query parameters of ``request``; ``ValidationError`` (400) otherwise."""
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return {name: value for name, value in query.validated_data.items()
            if value not in (None, "")}


_DETAIL = {
    "type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"],
}
# A 400 names the parameters or fields that were wrong (DRF's validation errors), or says
# what was wrong in ``detail``.
_INVALID = {"type": "object", "additionalProperties": {}}
ERROR_ANSWERS = {
    "400": ("A parameter or the body is not valid input; the answer names what is wrong.",
            _INVALID),
    "401": ("Not signed in.", _DETAIL),
    "403": ("The access policy does not let the caller do this.", _DETAIL),
    "404": ("No such row, or not one the caller may see.", _DETAIL),
    "429": ("Too many requests: wait and try again.", _DETAIL),
}


def document_error_answers(result, generator, request, public):
    """drf-spectacular postprocessing hook: the error answers of every operation."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, (description, schema) in ERROR_ANSWERS.items():
                responses.setdefault(code, {
                    "description": description,
                    "content": {"application/json": {"schema": schema}},
                })
    return result
