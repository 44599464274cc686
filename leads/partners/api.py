"""The partner API (issue 20): a partner's own system refers leads, reads them and their
statements, and reports on the leads we handed it. Signed in by a partner-scoped token
(``Authorization: Partner <key>``, valid for these endpoints only) or the portal's session;
every row comes through ``salesops.policy`` — another partner's id answers 404."""

import hashlib
import secrets
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from leads.models import Partner
from salesops import policy
from salesops.api_schema import MonthField

from . import selectors, services
from .models import HandedStatus, PartnerApiToken
from .throttle import body_too_large, client_address, referral_allowed

KEYWORD = "Partner"


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def partner_token_issue(*, partner: Partner, by) -> str:
    """A new token for ``partner``'s system; the key is shown once, only its hash is kept."""
    policy.require(by, policy.CREATE, "partner_api_tokens", PartnerApiToken(partner=partner))
    key = secrets.token_urlsafe(32)
    PartnerApiToken.objects.create(partner=partner, key_hash=token_hash(key))
    return key


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Partner <key>``: signs in as the partner's login, on the partner API
    only (no other view lists this class)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != KEYWORD:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid partner token header.")
        token = (PartnerApiToken.objects.select_related("partner__user")
                 .filter(key_hash=token_hash(header[1].decode(errors="replace")),
                         revoked_at__isnull=True, partner__is_active=True).first())
        user = token.partner.user if token else None
        if user is None or not user.is_active:
            raise exceptions.AuthenticationFailed("Invalid partner token.")
        return user, token

    def authenticate_header(self, request):
        return KEYWORD


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = PartnerTokenAuthentication
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Partner <key>"}


class IsPartner(permissions.BasePermission):
    def has_permission(self, request, view):
        return policy.may(request.user, policy.VIEW, "partner_portal")


class PartnerAPIView(APIView):
    authentication_classes = [PartnerTokenAuthentication,
                              *api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    permission_classes = [permissions.IsAuthenticated, IsPartner]


# --- serializers -----------------------------------------------------------------------------

STEP_CHOICES = selectors.STEP_CHOICES


class StepSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=STEP_CHOICES)
    at = serializers.DateTimeField()


class ReferredLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="lead.pk")
    company = serializers.CharField(source="lead.company")
    name = serializers.CharField(source="lead.name")
    status = serializers.ChoiceField(choices=STEP_CHOICES)
    status_at = serializers.DateTimeField()
    steps = serializers.SerializerMethodField()
    manager_first_name = serializers.CharField()

    def get_steps(self, obj) -> list[StepSerializer]:
        return [{"step": step, "at": at} for step, at in obj.steps]


# A field shows up as typed in the schema (drf-spectacular reads the annotation's serializer).
ReferredLeadSerializer.get_steps.__annotations__["return"] = StepSerializer(many=True)


class ReferralInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    company = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                    default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    tax_id = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True,
                                    default="")


class ReferralOutSerializer(serializers.Serializer):
    known = serializers.BooleanField(help_text="true: we know this client already (whose is "
                                               "not said); nothing was created")
    id = serializers.IntegerField(allow_null=True, help_text="the new lead, when created")


class HandedLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead = serializers.CharField(source="lead.__str__")
    contact = serializers.CharField(source="lead.name")
    phone = serializers.CharField(source="lead.phone")
    tax_id = serializers.CharField(source="lead.tax_id")
    status = serializers.ChoiceField(choices=HandedStatus.choices)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    last_update_at = serializers.DateTimeField()


class HandedLeadPatchSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=HandedStatus.choices, required=False)
    payment_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False,
                                              min_value=Decimal("0.01"))
    payment_received_on = serializers.DateField(required=False)

    def validate(self, data):
        if ("payment_amount" in data) != ("payment_received_on" in data):
            raise serializers.ValidationError(
                _("A payment needs both payment_amount and payment_received_on."))
        if not data:
            raise serializers.ValidationError(_("Give a status, a payment, or both."))
        return data


class PartnerStatementOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    month = MonthField(read_only=True)
    status = serializers.CharField()
    carried_in = serializers.DecimalField(max_digits=14, decimal_places=2)
    earned = serializers.DecimalField(max_digits=14, decimal_places=2)
    payable = serializers.DecimalField(max_digits=14, decimal_places=2)
    carried_out = serializers.DecimalField(max_digits=14, decimal_places=2)


TOO_LARGE = OpenApiResponse(description="The body is over the small limit.")


def _error(error: ValidationError) -> Response:
    return Response({"detail": error.messages[0]}, status=status.HTTP_400_BAD_REQUEST)


# --- views -----------------------------------------------------------------------------------

class PartnerLeadsView(PartnerAPIView):
    @extend_schema(operation_id="partner_api_leads_list",
                   summary="The leads the partner referred, with their steps",
                   responses={200: ReferredLeadSerializer(many=True)})
    def get(self, request):
        return Response(ReferredLeadSerializer(selectors.referred_leads(user=request.user),
                                               many=True).data)

    @extend_schema(
        operation_id="partner_api_leads_create", summary="Refer a lead",
        description="A phone or tax id we know already answers known=true and creates "
                    "nothing, saying nothing of whose it is. Throttled per address and "
                    "per partner.",
        request=ReferralInSerializer,
        responses={201: ReferralOutSerializer, 200: ReferralOutSerializer, 413: TOO_LARGE})
    def post(self, request):
        if body_too_large(request):
            return Response({"detail": _("The form is too large.")},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        data = ReferralInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partner = selectors.partner_of(request.user)
        if not referral_allowed(address=client_address(request), partner_id=partner.pk):
            raise exceptions.Throttled()
        try:
            outcome = services.referral_submit(partner=partner, by=request.user,
                                               **data.validated_data)
        except ValidationError as error:
            return _error(error)
        body = {"known": outcome.known, "id": outcome.lead.pk if outcome.lead else None}
        return Response(body, status=status.HTTP_200_OK if outcome.known
                        else status.HTTP_201_CREATED)


class PartnerHandedLeadView(PartnerAPIView):
    @extend_schema(operation_id="partner_api_handed_leads_partial_update",
                   summary="Report on a lead we handed to the partner: status and/or payment",
                   parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH,
                                                description="a handed lead's id")],
                   request=HandedLeadPatchSerializer, responses={200: HandedLeadSerializer})
    def patch(self, request, id: str):  # noqa: A002 - the path's name, as in the schema
        # What is not an id, or one no database column holds, is simply not found.
        pk = int(id) if id.isdigit() and int(id) <= 2**63 - 1 else None
        handed = pk and policy.scoped(
            request.user, policy.VIEW, "handed_leads").select_related("lead").filter(
            pk=pk).first()
        if handed is None:
            raise exceptions.NotFound()
        data = HandedLeadPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            if "status" in values and values["status"] != handed.status:
                handed = services.handed_lead_status_set(handed=handed, status=values["status"],
                                                         by=request.user)
            if "payment_amount" in values:
                services.handed_lead_payment_report(
                    handed=handed, amount=values["payment_amount"],
                    received_on=values["payment_received_on"], by=request.user)
        except ValidationError as error:
            return _error(error)
        handed.refresh_from_db()
        return Response(HandedLeadSerializer(handed).data)


class PartnerStatementsView(PartnerAPIView):
    @extend_schema(operation_id="partner_api_statements_list",
                   summary="The partner's statements, newest month first",
                   responses={200: PartnerStatementOutSerializer(many=True)})
    def get(self, request):
        return Response(PartnerStatementOutSerializer(
            selectors.partner_statements(user=request.user), many=True).data)


