"""The doors calls come in by: ``POST /api/calls/`` (batches, ``CallBatchCreateMixin`` on the
call API) and ``/api/hooks/<key>/`` (one provider's webhook per integration). Both parse,
authenticate, call ``calls.calls_ingest`` and answer in JSON; refusals are logged with their
reason (``services.refusal_record``) and store nothing."""

import json
import uuid

from django.conf import settings
from django.http import HttpResponse
from django.http.request import RawPostDataException
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from salesops import policy
from salesops.models import Outcome

from .adapters import ADAPTERS, Refusal, Unreadable
from .calls import calls_ingest, zone_of
from .events import IngestOutcome, ItemError, ItemResult
from .idempotency import Answer, KeyUsedWithAnotherBody, answered_once
from .models import Adapter, Integration, RefusedRequest
from .parsing import item_event
from .selectors import integration_at_address, integration_with_token
from .services import event_seen, refusal_record
from .tokens import token_hash

Reason = RefusedRequest.Reason
MAX_CALLS = 5000


# --- who posts -------------------------------------------------------------------------------

class IntegrationPrincipal:
    """The caller of a request made with an integration's token: no login, no role."""

    is_authenticated = True
    is_active = True
    is_staff = is_superuser = False
    pk = id = None

    def __init__(self, integration: Integration):
        self.integration = integration

    def __str__(self):
        return str(self.integration)


class IntegrationTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>`` of an integration, on writes only (a token reads
    nothing). A wrong or revoked token is refused, logged, with 401 / 403."""

    def authenticate(self, request):
        if request.method != "POST":
            return None
        scheme, _space, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        integration = integration_with_token(token_hash(token.strip()))
        if integration is None:
            refusal_record(request=request, reason=Reason.BAD_TOKEN, status=401)
            raise exceptions.AuthenticationFailed(_("Unknown token."))
        if not integration.active:
            refusal_record(request=request, reason=Reason.REVOKED, status=403,
                           integration=integration)
            raise exceptions.PermissionDenied(_("This integration is revoked."))
        return IntegrationPrincipal(integration), integration

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class IntegrationTokenScheme(OpenApiAuthenticationExtension):
    target_class = "salesops.ingest.api.IntegrationTokenAuthentication"
    name = "integrationToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "An integration's token (shown once when it is made)."}


class IntegrationRateThrottle(SimpleRateThrottle):
    """Requests per integration token, whatever address they come from."""

    scope = "ingest"

    def get_rate(self):
        return settings.INGEST_THROTTLE_RATE

    def get_cache_key(self, request, view):
        integration = request.auth
        if not isinstance(integration, Integration):
            return None
        return self.cache_format % {"scope": self.scope, "ident": integration.pk}


def _throttled(request, view) -> bool:
    throttle = IntegrationRateThrottle()
    if throttle.allow_request(request, view):
        return False
    refusal_record(request=request, reason=Reason.THROTTLED, status=429,
                   integration=request.auth)
    return True


# --- answers ---------------------------------------------------------------------------------

def _item_answer(item: ItemResult) -> dict:
    return {"index": item.index, "external_id": item.external_id, "result": item.result,
            "call": item.call_id,
            "errors": [{"field": e.field, "value": e.value, "reason": e.reason, "kind": e.kind}
                       for e in item.errors]}


def outcome_answer(outcome: IngestOutcome) -> dict:
    return {"batch": outcome.batch_id, "counts": outcome.counts,
            "items": [_item_answer(item) for item in outcome.items]}


class ItemErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="the call field, empty for the item as a whole")
    value = serializers.CharField(help_text="the value received")
    reason = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=["", "manager", "status"],
        help_text="manager / status: the value is queued for the import's bulk mapping "
                  "(the batch's page) and the call is taken when it is posted again")


class ItemAnswerSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    external_id = serializers.CharField()
    result = serializers.ChoiceField(
        choices=["created", "present", "updated", "conflict", "error"])
    call = serializers.IntegerField(allow_null=True)
    errors = ItemErrorSerializer(many=True)


class CountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    present = serializers.IntegerField()
    updated = serializers.IntegerField()
    conflict = serializers.IntegerField()
    error = serializers.IntegerField()


class IngestAnswerSerializer(serializers.Serializer):
    batch = serializers.IntegerField(
        allow_null=True, help_text="the import batch holding these calls and their errors")
    counts = CountsSerializer()
    items = ItemAnswerSerializer(many=True)


ITEM_FIELDS_TEXT = (
    "A call: external_id (the PBX's call id, up to 128 characters), started_at (ISO 8601; "
    "without an offset: the integration's time zone), duration_s (0–65 000), manager "
    "(extension, telephony login, e-mail, an alias or the full name), and optionally "
    "manager_alt (tried when manager names nobody), talk_s, wrapup_s, status (the PBX's "
    "status word, read through the status mappings), outcome (" + ", ".join(
        c.name.lower() for c in Outcome) + "), direction (in / out), phone, recording_url. "
    "Each item is checked on its own: one that is not a call is answered as an error by its "
    "index, and the others are taken.")
# The items are deliberately any JSON: each is judged on its own and answered by index, so
# no item makes the request invalid (the schema must not promise a 400 for one).
BATCH_REQUEST = {
    "type": "object", "required": ["calls"],
    "properties": {
        "source": {"type": "string", "minLength": 1, "maxLength": 64,
                   "description": "the calls' telephony source; with a token: the "
                                  "integration's (another one is refused with 403); required "
                                  "when signed in"},
        "calls": {"type": "array", "minItems": 1, "maxItems": MAX_CALLS,
                  "items": {"description": ITEM_FIELDS_TEXT,
                            "example": {"external_id": "1796292000.2588",
                                        "started_at": "2026-12-03T12:00:00+03:00",
                                        "duration_s": 100, "talk_s": 92, "manager": "7001",
                                        "status": "answered", "phone": "+79161234567"}}},
    },
}


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


def _error(status: int, message: str) -> Response:
    return Response({"detail": message}, status=status)


# --- the batch API ---------------------------------------------------------------------------

class MayPostCalls(permissions.BasePermission):
    """An integration's token, or a login the policy lets import calls (admins)."""

    def has_permission(self, request, view):
        if isinstance(request.auth, Integration):
            return True
        return policy.may(request.user, policy.IMPORT, "calls")


BATCH_RESPONSES = {
    200: OpenApiResponse(IngestAnswerSerializer,
                         description="Read: each call's result by index (created, present, "
                                     "updated, conflict, or error with the field and value)."),
    400: OpenApiResponse(DetailSerializer, description="Not a batch: no list of 1 to 5 000 "
                                                       "calls, or no source."),
    401: OpenApiResponse(DetailSerializer, description="No or unknown token, not signed in."),
    403: OpenApiResponse(DetailSerializer, description="A revoked token, calls of another "
                                                       "source, or a login that may not import."),
    422: OpenApiResponse(DetailSerializer, description="The Idempotency-Key was used before "
                                                       "with another body."),
    429: OpenApiResponse(DetailSerializer, description="Too many requests for this token."),
}


class CallBatchCreateMixin:
    """``create`` for the call API: a batch of calls through the ingestion service."""

    def get_authenticators(self):
        return [IntegrationTokenAuthentication(), *super().get_authenticators()]

    def get_permissions(self):
        if self.action == "create":
            return [MayPostCalls()]
        return super().get_permissions()

    def get_throttles(self):
        # A token is throttled by its own rate; the per-login rates would lump every token
        # together (they have no login).
        if self.action == "create" and isinstance(self.request.auth, Integration):
            return [IntegrationRateThrottle()]
        return super().get_throttles()

    def throttled(self, request, wait):
        if isinstance(request.auth, Integration):
            refusal_record(request=request, reason=Reason.THROTTLED, status=429,
                           integration=request.auth)
        super().throttled(request, wait)

    @extend_schema(
        summary="Post a batch of calls",
        description="Up to 5 000 calls, idempotent by (source, external id): a call posted "
                    "again, by a webhook or a file, is not created again, and changes only "
                    "when it carries more (longer talk, better outcome, longer call); for an "
                    "approved month that becomes an import conflict. With an Idempotency-Key "
                    "the same key and body get the first answer again.",
        request={"application/json": BATCH_REQUEST}, responses=BATCH_RESPONSES,
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                     required=False, description="any string up to 200 "
                                                                 "characters")],
    )
    def create(self, request, *args, **kwargs):
        integration = request.auth if isinstance(request.auth, Integration) else None
        key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
        if len(key) > 200:
            return _error(400, _("An Idempotency-Key has at most 200 characters."))
        try:
            raw_body = request.body
        except RawPostDataException:  # a form, read already (CSRF): no batch
            return _error(400, _("Post {\"calls\": [...]} as JSON."))
        if not key:
            answer = self._answer(request, integration)
        else:
            caller = (f"integration:{integration.pk}" if integration
                      else f"user:{request.user.pk}")
            try:
                answer = answered_once(caller=caller, key=key, body=raw_body,
                                       answer=lambda: self._answer(request, integration))
            except KeyUsedWithAnotherBody:
                return _error(422, _("This Idempotency-Key was used with another body."))
        response = Response(answer.body, status=answer.status)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response

    def _answer(self, request, integration) -> Answer:
        """The batch's answer, or a refusal of it before any work."""
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("calls"), list) or not (
                1 <= len(body["calls"]) <= MAX_CALLS):
            return _refused(400, _("Post {\"calls\": [...]} with 1 to %(max)d calls.")
                            % {"max": MAX_CALLS})
        source = body.get("source")
        if source is not None and (not isinstance(source, str) or not 0 < len(source) <= 64):
            return _refused(400, _("source is a name of up to 64 characters."))
        if integration is not None:
            if source not in (None, integration.source):
                refusal_record(request=request, reason=Reason.OTHER_SOURCE, status=403,
                               integration=integration)
                return _refused(403, _("This token posts calls of %(source)s only.")
                                % {"source": integration.source})
            source = integration.source
        elif not source:
            return _refused(400, _("Name the calls' source."))
        if integration is not None:
            event_seen(integration=integration)
        outcome = _ingest_items(body["calls"], source=source, integration=integration,
                                by=None if integration else request.user)
        return Answer(status=200, body=outcome_answer(outcome))


def _refused(status: int, message: str) -> Answer:
    return Answer(status=status, body={"detail": message})


def _ingest_items(items: list, *, source: str, integration, by) -> IngestOutcome:
    zone = zone_of(integration)
    events, positions, rejected = [], [], []
    for index, item in enumerate(items):
        event, errors = item_event(item, zone)
        if event is None:
            external_id = item.get("external_id") if isinstance(item, dict) else ""
            rejected.append(ItemResult(index=index, external_id=str(external_id or "")[:128],
                                       result="error", errors=errors))
            continue
        events.append(event)
        positions.append(index)
    return calls_ingest(events=events, source=source, integration=integration, by=by,
                        positions=positions, rejected=rejected)


# --- webhooks --------------------------------------------------------------------------------

HOOK_RESPONSES = {
    200: OpenApiResponse(IngestAnswerSerializer, description="Taken (or an event that "
                                                             "carries no finished call)."),
    400: OpenApiResponse(DetailSerializer, description="Not what this provider posts."),
    401: OpenApiResponse(DetailSerializer, description="No or wrong signature or token."),
    403: OpenApiResponse(DetailSerializer, description="Revoked, another integration's "
                                                       "credentials, or another source."),
    404: OpenApiResponse(DetailSerializer, description="No such integration."),
    429: OpenApiResponse(DetailSerializer, description="Too many requests."),
}
HOOK_KEY = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                            description="the integration's address key")
CHALLENGE = {Adapter.FREESWITCH: 'Basic realm="salesops"', Adapter.ASTERISK: "Bearer",
             Adapter.GENERIC: "Bearer"}


class WebhookView(APIView):
    """One integration's provider posts here: its adapter authenticates and reads it."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def _integration(self, public_id: uuid.UUID) -> Integration:
        integration = integration_at_address(public_id)
        if integration is None:
            raise exceptions.NotFound(_("No such integration."))
        return integration

    @extend_schema(
        summary="Zadarma's address check",
        description="Zadarma checks a webhook address with ?zd_echo=… and expects the value "
                    "back as plain text.",
        parameters=[OpenApiParameter("zd_echo", OpenApiTypes.STR, required=True,
                                     pattern=r"^[A-Za-z0-9_-]{1,64}$"), HOOK_KEY],
        responses={(200, "text/plain"): OpenApiTypes.STR,
                   400: OpenApiResponse(DetailSerializer, description="No zd_echo value."),
                   404: OpenApiResponse(DetailSerializer, description="No such integration, "
                                                                      "or not Zadarma's.")},
        auth=[],
    )
    def get(self, request, public_id):
        integration = self._integration(public_id)
        if integration.adapter != Adapter.ZADARMA or not integration.active:
            raise exceptions.NotFound(_("No such integration."))
        echo = request.query_params.get("zd_echo", "")
        if not echo or len(echo) > 64 or not all(c.isascii() and (c.isalnum() or c in "_-")
                                                 for c in echo):
            return _error(400, _("zd_echo: up to 64 letters, digits, “_” or “-”."))
        return HttpResponse(echo, content_type="text/plain")

    @extend_schema(
        summary="A provider's webhook",
        description="The integration's adapter decides the body and the authentication: "
                    "Zadarma and Mango Office form posts with their signatures, Twilio status "
                    "callbacks with X-Twilio-Signature, Asterisk CDR JSON and generic JSON "
                    "with the integration's token as a Bearer token, FreeSWITCH mod_json_cdr "
                    "with Basic auth (the token as the password).",
        request={"application/json": OpenApiTypes.OBJECT,
                 "application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
        responses=HOOK_RESPONSES, auth=[], parameters=[HOOK_KEY],
    )
    def post(self, request, public_id):
        integration = self._integration(public_id)
        raw = request._request
        if not integration.active:
            return self._refuse(raw, integration, Refusal(Reason.REVOKED, 403,
                                                          _("This integration is revoked.")))
        adapter = ADAPTERS[integration.adapter](integration, zone_of(integration))
        try:
            adapter.authenticate(raw)
        except Refusal as refusal:
            return self._refuse(raw, integration, refusal)
        request.auth = integration
        if _throttled(request, self):
            return _error(429, _("Too many requests: wait and try again."))
        try:
            events = adapter.events(raw)
        except (Unreadable, json.JSONDecodeError) as exc:
            return self._refuse(raw, integration, Refusal(Reason.UNREADABLE, 400, str(exc)))
        if any(event.source and event.source != integration.source for event in events):
            return self._refuse(raw, integration, Refusal(
                Reason.OTHER_SOURCE, 403, _("This integration posts calls of %(source)s only.")
                % {"source": integration.source}))
        event_seen(integration=integration)
        if not events:
            return Response(outcome_answer(IngestOutcome(items=[])), status=200)
        outcome = calls_ingest(events=events, source=integration.source,
                               integration=integration)
        return Response(outcome_answer(outcome), status=200)

    def _refuse(self, request, integration, refusal: Refusal) -> Response:
        refusal_record(request=request, reason=refusal.reason, status=refusal.status,
                       integration=integration)
        response = _error(refusal.status, refusal.message)
        if refusal.status == 401:
            response["WWW-Authenticate"] = CHALLENGE.get(integration.adapter, "Signature")
        return response


__all__ = ["CallBatchCreateMixin", "ItemError", "WebhookView"]
