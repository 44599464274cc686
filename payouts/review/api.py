"""The review in the API (SPEC §7), through the same services and the same access policy as
the pages: payout runs (list by month and team, a run's lines, approve, mark paid), commission
exceptions and payout inquiries (list, decide).

A refusal of a rule is 409 with the service's message (and, for approval, what blocks it); a
refusal of the policy is 403; a row the user may not see is 404.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from salesops import policy
from salesops.api import PolicyViewSet
from salesops.periods import parse_month

from ..exceptions import commission_exception_approve, commission_exception_reject
from ..inquiries import inquiry_decide
from ..lifecycle import (
    PayoutRunBlocked,
    PayoutRunError,
    PayoutRunStale,
    payout_run_approve,
    payout_run_mark_paid,
)
from ..models import CommissionException, PayoutInquiry, PayoutLine, PayoutRun
from ..selectors import exception_amount_at_stake, payout_runs_with_totals


class PayoutRunSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="code", read_only=True)
    month = serializers.DateField(format="%Y-%m")
    paid_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)
    held_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = PayoutRun
        fields = ["id", "team", "month", "status", "managers_total", "computed_at",
                  "approved_by", "approved_at", "paid_at", "paid_total", "held_total"]


class PayoutLineSerializer(serializers.ModelSerializer):
    manager = serializers.CharField(source="manager.user.username")

    class Meta:
        model = PayoutLine
        fields = ["id", "manager", "kind", "key", "adjusts_month", "quantity", "rate", "amount",
                  "held"]


class CommissionExceptionSerializer(serializers.ModelSerializer):
    manager = serializers.CharField(source="lead.owner.user.username")
    amount_at_stake = serializers.SerializerMethodField()

    class Meta:
        model = CommissionException
        fields = ["id", "lead", "manager", "component_kind", "kind", "rate", "amount", "reason",
                  "status", "requested_by", "requested_at", "decided_by", "decided_at",
                  "decision_comment", "amount_at_stake"]

    def get_amount_at_stake(self, obj) -> str:
        return str(exception_amount_at_stake(exception=obj))


class PayoutInquirySerializer(serializers.ModelSerializer):
    manager = serializers.CharField(source="manager.user.username")

    class Meta:
        model = PayoutInquiry
        fields = ["id", "run", "manager", "line_kind", "line_key", "amount_seen", "comment",
                  "status", "raised_by", "raised_at", "decided_by", "decided_at",
                  "decision_comment"]


class DecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(required=False, allow_blank=True, default="")


REFUSAL = inline_serializer("Refusal", fields={
    "detail": serializers.CharField(),
    "blocking": serializers.ListField(child=serializers.DictField(), required=False),
    "stale": serializers.ListField(child=serializers.DictField(), required=False),
})


def _refused(error: Exception) -> Response:
    body = {"detail": " ".join(getattr(error, "messages", None) or [str(error)])}
    if isinstance(error, PayoutRunBlocked):
        body["blocking"] = [{"id": b.id, "lead": b.lead_id, "amount": str(b.amount)}
                            for b in error.exceptions]
    if isinstance(error, PayoutRunStale):
        body["stale"] = [{"manager": s.manager_id, "reason": str(s.reason)}
                         for s in error.members]
    return Response(body, status=status.HTTP_409_CONFLICT)


@extend_schema(parameters=[
    OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM"),
    OpenApiParameter("team", OpenApiTypes.STR, description="team code"),
])
class PayoutRunViewSet(PolicyViewSet):
    """Teams' months of pay: a sales head reads own team's, owner and admins every team's."""

    serializer_class = PayoutRunSerializer
    policy_resource = "payout_runs"

    def get_queryset(self):
        runs = self.scoped(PayoutRun.objects.select_related("team"))
        params = self.request.query_params
        if params.get("month"):
            try:
                runs = runs.filter(month=parse_month(params["month"]))
            except ValueError:
                runs = runs.none()
        if params.get("team"):
            runs = runs.filter(team__code=params["team"])
        return payout_runs_with_totals(runs).order_by("-month", "team__code")

    @extend_schema(responses=PayoutLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        run = self.get_object()
        lines = policy.scoped(request.user, policy.VIEW, "payout_lines",
                              run.lines.select_related("manager__user"))
        page = self.paginate_queryset(lines.order_by("manager__user__username", "kind", "key"))
        return self.get_paginated_response(PayoutLineSerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: PayoutRunSerializer, 409: REFUSAL})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        run = self.get_object()
        policy.require(request.user, policy.APPROVE_RUN, self.policy_resource, run)
        try:
            payout_run_approve(run=run, approved_by=request.user)
        except PayoutRunError as error:
            return _refused(error)
        return Response(self.get_serializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(request=None, responses={200: PayoutRunSerializer, 409: REFUSAL})
    @action(detail=True, methods=["post"], url_path="mark-paid")
    def mark_paid(self, request, pk=None):
        run = self.get_object()
        policy.require(request.user, policy.MARK_PAID, self.policy_resource, run)
        try:
            payout_run_mark_paid(run=run, paid_by=request.user)
        except PayoutRunError as error:
            return _refused(error)
        return Response(self.get_serializer(self.get_queryset().get(pk=run.pk)).data)


class _DecideMixin:
    decide_action = ""

    @extend_schema(request=DecisionSerializer, responses={200: None, 409: REFUSAL})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        row = self.get_object()
        policy.require(request.user, self.decide_action, self.policy_resource, row)
        decision = DecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        try:
            row = self.apply(row, approved=decision.validated_data["decision"] == "approve",
                             comment=decision.validated_data["comment"])
        except ValidationError as error:
            return _refused(error)
        return Response(self.get_serializer(row).data)


@extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR)])
class CommissionExceptionViewSet(_DecideMixin, PolicyViewSet):
    """Exceptions with what each holds in open runs; decided by someone other than the asker."""

    serializer_class = CommissionExceptionSerializer
    policy_resource = "commission_exceptions"
    decide_action = policy.DECIDE_EXCEPTION

    def get_queryset(self):
        rows = self.scoped(CommissionException.objects.select_related("lead__owner__user"))
        if self.request.query_params.get("status"):
            rows = rows.filter(status=self.request.query_params["status"])
        return rows.order_by("-requested_at", "-pk")

    def apply(self, row, *, approved, comment):
        if approved:
            return commission_exception_approve(exception=row, approved_by=self.request.user,
                                                comment=comment)
        return commission_exception_reject(exception=row, rejected_by=self.request.user,
                                           comment=comment)


@extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR)])
class PayoutInquiryViewSet(_DecideMixin, PolicyViewSet):
    """Managers' questions about lines of their pay, decided by the team's head or above."""

    serializer_class = PayoutInquirySerializer
    policy_resource = "payout_inquiries"
    decide_action = policy.DECIDE_INQUIRY

    def get_queryset(self):
        rows = self.scoped(PayoutInquiry.objects.select_related("manager__user"))
        if self.request.query_params.get("status"):
            rows = rows.filter(status=self.request.query_params["status"])
        return rows.order_by("-raised_at", "-pk")

    def apply(self, row, *, approved, comment):
        return inquiry_decide(inquiry=row, accepted=approved, comment=comment,
                              decided_by=self.request.user)

