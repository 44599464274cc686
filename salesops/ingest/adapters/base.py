"""What every adapter does: check who posts (``authenticate``), read the body into calls
(``events``). Refusals carry the reason logged and the status answered; an adapter never
puts a secret or the body into them."""

import base64
import binascii
import datetime
import hmac
import json

from django.utils.translation import gettext as _

from ..events import CallEvent
from ..models import Integration, RefusedRequest
from ..tokens import token_hash

Reason = RefusedRequest.Reason


class Refusal(Exception):
    def __init__(self, reason: str, status: int, message: str = ""):
        super().__init__(message or reason)
        self.reason, self.status, self.message = reason, status, message or str(reason)


class Unreadable(ValueError):
    """The body is not what the provider sends: 400, nothing stored."""


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), (given or "").encode())


def bearer_token(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def basic_password(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, value = header.partition(" ")
    if scheme.lower() != "basic":
        return ""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return ""
    return decoded.partition(":")[2]


def token_check(integration: Integration, token: str) -> None:
    """Our token: missing → 401; another integration's → 403; wrong → 401."""
    if not token:
        raise Refusal(Reason.NO_CREDENTIALS, 401, _("No token given."))
    digest = token_hash(token)
    if hmac.compare_digest(digest, integration.token_hash):
        return
    if Integration.objects.filter(token_hash=digest).exists():
        raise Refusal(Reason.OTHER_INTEGRATION, 403,
                      _("This token belongs to another integration."))
    raise Refusal(Reason.BAD_TOKEN, 401, _("Unknown token."))


def json_body(request) -> object:
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise Unreadable(_("The body is not JSON.")) from None


def number(value, name: str, *, most: float) -> int:
    """A whole number from 0 to ``most`` from a number or its text; 0 when not given."""
    if value in (None, ""):
        return 0
    try:
        found = float(value)
    except (TypeError, ValueError):
        raise Unreadable(_("%(field)s is not a number") % {"field": name}) from None
    if found != found or found < 0 or found > most:
        raise Unreadable(_("%(field)s is out of range") % {"field": name})
    return round(found)


def seconds(value, name: str) -> int:
    return number(value, name, most=10**7)


def epoch_seconds(value, name: str) -> int:
    """Unix time in seconds, from seconds, milliseconds or microseconds."""
    found = number(value, name, most=1e17)
    if found >= 1e14:
        return found // 1_000_000
    if found >= 1e11:
        return found // 1000
    return found


def epoch(value, name: str) -> datetime.datetime:
    found = epoch_seconds(value, name)
    try:
        return datetime.datetime.fromtimestamp(found, datetime.UTC)
    except (OverflowError, OSError, ValueError):
        raise Unreadable(_("%(field)s is not a time") % {"field": name}) from None


class WebhookAdapter:
    name = ""
    # Zadarma checks the address with a GET before it posts.
    answers_get = False

    def __init__(self, integration: Integration, zone: datetime.tzinfo):
        self.integration, self.zone = integration, zone

    def authenticate(self, request) -> None:
        raise NotImplementedError

    def events(self, request) -> list[CallEvent]:
        raise NotImplementedError

    def local_time(self, text, name: str) -> datetime.datetime:
        from salesops.imports.values import parse_datetime

        try:
            return parse_datetime(str(text or "").strip(), self.zone)
        except (ValueError, OverflowError):
            raise Unreadable(_("%(field)s is not a date and time") % {"field": name}) from None
