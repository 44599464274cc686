"""``/api/me/earnings/``: the signed-in person's month, the same read model as the page, and
the items of one of their lines. A line that is not the caller's own is 404 (its existence is
not told); the policy's ``view`` on payout lines is the door (salesops.policy)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from salesops import policy
from salesops.api_schema import MONTH_EXAMPLE, MonthField
from salesops.periods import parse_month
from salesops.selectors import manager_for_user

from ..models import PayoutLine, PayoutLineItem
from ..selectors import payout_line_items
from . import selectors


class MayViewOwnLines(permissions.BasePermission):
    def has_permission(self, request, view):
        return policy.may(request.user, policy.VIEW, "payout_lines")


class LineSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    detail = serializers.CharField()
    rule = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=4)
    rate = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    held = serializers.BooleanField()
    adjusts_month = MonthField(allow_null=True)
    note = serializers.CharField()


class PlanSerializer(serializers.Serializer):
    name = serializers.CharField()
    target = serializers.DecimalField(max_digits=14, decimal_places=2)
    actual = serializers.DecimalField(max_digits=14, decimal_places=2)
    percent = serializers.DecimalField(max_digits=8, decimal_places=0, allow_null=True)
    pace_needed = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                           help_text="per remaining working day")
    forecast = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True,
                                        help_text="the month at the current pace")


class EarningsSerializer(serializers.Serializer):
    month = MonthField()
    status = serializers.ChoiceField(
        source="standing",
        choices=[selectors.PROVISIONAL, selectors.APPROVED, selectors.PAID])
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    held = serializers.DecimalField(max_digits=14, decimal_places=2)
    components = LineSerializer(many=True)
    held_lines = LineSerializer(many=True)
    adjustments = LineSerializer(many=True)
    plan = PlanSerializer(many=True)
    working_days_left = serializers.IntegerField()
    forecast_pay = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class LineItemSerializer(serializers.ModelSerializer):
    lead = serializers.SerializerMethodField()
    at = serializers.SerializerMethodField()

    class Meta:
        model = PayoutLineItem
        fields = ["id", "source", "call", "milestone", "payment", "lead", "at", "quantity",
                  "amount", "decision", "exception"]

    def get_lead(self, item) -> int | None:
        row = item.milestone or item.payment
        return row.lead_id if row is not None else None

    def get_at(self, item) -> str | None:
        if item.milestone is not None:
            return item.milestone.at.isoformat()
        if item.payment is not None:
            return item.payment.received_on.isoformat()
        return item.call.started_at.isoformat() if item.call is not None else None


class MyEarnings(APIView):
    permission_classes = [permissions.IsAuthenticated, MayViewOwnLines]

    @extend_schema(
        summary="My earnings in a month",
        description="The signed-in person's pay in a month: components, held lines, "
                    "adjustments and plan progress (the earnings page's figures).",
        parameters=[OpenApiParameter(
            "month", OpenApiTypes.STR, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
            description="YYYY-MM; default: the current month", examples=[
                OpenApiExample("a month", value=MONTH_EXAMPLE)])],
        responses=EarningsSerializer,
    )
    def get(self, request):
        manager = manager_for_user(request.user)
        if manager is None:
            raise Http404
        try:
            month = parse_month(request.query_params["month"])
        except KeyError:
            month = selectors.default_month()
        except ValueError as error:
            raise serializers.ValidationError({"month": "YYYY-MM"}) from error
        figures = selectors.earnings_month(manager=manager, month=month)
        return Response(EarningsSerializer(figures).data)


class MyLineItems(ListAPIView):
    """The rows one of my lines counted (milestones, payments); call lines list no items."""

    permission_classes = [permissions.IsAuthenticated, MayViewOwnLines]
    serializer_class = LineItemSerializer

    @extend_schema(summary="The items of one of my payout lines")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        manager = manager_for_user(self.request.user)
        if manager is None:
            raise Http404
        # Own lines only, whatever else the role may read: "me" means me.
        line = get_object_or_404(
            policy.scoped(self.request.user, policy.VIEW, "payout_lines",
                          PayoutLine.objects.filter(manager=manager)),
            pk=self.kwargs["pk"])
        return payout_line_items(line=line)
