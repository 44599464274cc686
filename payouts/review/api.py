"""The review in the API (SPEC §7), through the same services and the same access policy as
the pages: payout runs (list by month and team, a run's lines, approve, mark paid), commission
exceptions and payout inquiries (list, decide).

A refusal of a rule is 409 with the service's message (and, for approval, what blocks it); a
refusal of the policy is 403; a row the user may not see is 404.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from salesops import policy
from salesops.api import PolicyViewSet
from salesops.api_schema import MonthField, query_params

from ..exceptions import commission_exception_approve, commission_exception_reject
from ..inquiries import inquiry_decide
from ..lifecycle import (
    PayoutRunBlocked,
    PayoutRunError,
    PayoutRunLocked,
    PayoutRunStale,
    payout_run_approve,
    payout_run_mark_paid,
)
from ..models import (
    CommissionException,
    ExceptionStatus,
    InquiryStatus,
    PayoutInquiry,
    PayoutLine,
    PayoutRun,
)
from ..selectors import exception_amount_at_stake, payout_runs_with_totals
from .services import payout_run_request_recompute


class PayoutRunSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="code", read_only=True)
    month = MonthField(read_only=True)
    # Sums over the run's lines: null while the run has none.
    paid_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                          allow_null=True)
    held_total = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True,
                                          allow_null=True)

    class Meta:
        model = PayoutRun
        fields = ["id", "team", "month", "status", "managers_total", "computed_at",
                  "approved_by", "approved_at", "paid_at", "paid_total", "held_total"]


class PayoutLineSerializer(serializers.ModelSerializer):
    manager = serializers.CharField(source="manager.user.username")
    adjusts_month = MonthField(read_only=True, allow_null=True)

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
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    max_length=2000)


DECISION_EXAMPLES = [
    OpenApiExample("approve", value={"decision": "approve", "comment": "checked the contract"},
                   request_only=True),
    OpenApiExample("reject", value={"decision": "reject", "comment": "not agreed with the "
                                    "client"}, request_only=True),
]


class PayoutRunQuery(serializers.Serializer):
    month = MonthField(required=False, help_text="only this month's runs")
    team = serializers.CharField(required=False, max_length=64,
                                 help_text="only this team's run (a team code, e.g. north)")


class ExceptionQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=ExceptionStatus.choices, required=False,
                                     help_text="only exceptions in this state")


class InquiryQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=InquiryStatus.choices, required=False,
                                     help_text="only inquiries in this state")


REFUSAL = inline_serializer("Refusal", fields={
    "detail": serializers.CharField(),
    "blocking": serializers.ListField(child=serializers.DictField(), required=False),
    "stale": serializers.ListField(child=serializers.DictField(), required=False),
})


QUEUED = inline_serializer("Queued", fields={"detail": serializers.CharField()})


def _refused(error: Exception) -> Response:
    body = {"detail": " ".join(getattr(error, "messages", None) or [str(error)])}
    if isinstance(error, PayoutRunBlocked):
        body["blocking"] = [{"id": b.id, "lead": b.lead_id, "amount": str(b.amount)}
                            for b in error.exceptions]
    if isinstance(error, PayoutRunStale):
        body["stale"] = [{"manager": s.manager_id, "reason": str(s.reason)}
                         for s in error.members]
    return Response(body, status=status.HTTP_409_CONFLICT)


@extend_schema_view(
    list=extend_schema(summary="Teams' months of pay the caller may review",
                       parameters=[PayoutRunQuery]),
    retrieve=extend_schema(summary="One team's month of pay"),
)
class PayoutRunViewSet(PolicyViewSet):
    """Teams' months of pay: a sales head reads own team's, owner and admins every team's."""

    serializer_class = PayoutRunSerializer
    policy_resource = "payout_runs"

    def get_queryset(self):
        runs = self.scoped(PayoutRun.objects.select_related("team"))
        if self.action == "list":
            params = query_params(PayoutRunQuery, self.request)
            if "month" in params:
                runs = runs.filter(month=params["month"])
            if "team" in params:
                runs = runs.filter(team__code=params["team"])
        return payout_runs_with_totals(runs).order_by("-month", "team__code")

    @extend_schema(summary="A run's lines, by person, kind and key",
                   responses=PayoutLineSerializer(many=True))
    @action(detail=True, methods=["get"])
    def lines(self, request, pk=None):
        run = self.get_object()
        lines = policy.scoped(request.user, policy.VIEW, "payout_lines",
                              run.lines.select_related("manager__user"))
        page = self.paginate_queryset(lines.order_by("manager__user__username", "kind", "key"))
        return self.get_paginated_response(PayoutLineSerializer(page, many=True).data)

    @extend_schema(
        summary="Approve a computed run (locks the month's pay)",
        description="By the team's sales head or the owner, never by whoever requested the "
                    "computation. 409 says why it was refused: the month is not "
                    "over, the run is stale, or pending exceptions hold money in it.",
        request=None, responses={200: PayoutRunSerializer, 409: REFUSAL})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        run = self.get_object()
        policy.require(request.user, policy.APPROVE_RUN, self.policy_resource, run)
        try:
            payout_run_approve(run=run, approved_by=request.user)
        except PayoutRunError as error:
            return _refused(error)
        return Response(self.get_serializer(self.get_queryset().get(pk=run.pk)).data)

    @extend_schema(
        summary="Recompute the people of a run whose inputs changed",
        description="Queued; the run is draft until its people are done. Whoever requests "
                    "a computation does not approve that run: the request is "
                    "recorded with their name. 409 for an approved or paid month.",
        request=None, responses={202: QUEUED, 409: REFUSAL})
    @action(detail=True, methods=["post"])
    def recompute(self, request, pk=None):
        run = self.get_object()
        policy.require(request.user, policy.COMPUTE_RUN, self.policy_resource, run)
        try:
            payout_run_request_recompute(run=run, by=request.user)
        except PayoutRunLocked:
            return _refused(PayoutRunError(_(
                "%(run)s is locked: late changes go to the next open month.")
                % {"run": f"{run.team.code} {run.month:%Y-%m}"}))
        return Response({"detail": _("Recomputing: the run is draft until its people are "
                                     "done.")}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="Mark an approved run paid (it has gone to payroll)",
                   request=None, responses={200: PayoutRunSerializer, 409: REFUSAL})
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


@extend_schema_view(
    list=extend_schema(summary="Commission exceptions the caller may see, newest first",
                       parameters=[ExceptionQuery]),
    retrieve=extend_schema(summary="One commission exception, with what it holds"),
    decide=extend_schema(
        summary="Approve or reject a commission exception",
        description="By a sales head of the team or above, never by whoever asked for it.",
        request=DecisionSerializer, examples=DECISION_EXAMPLES,
        responses={200: CommissionExceptionSerializer, 409: REFUSAL}),
)
class CommissionExceptionViewSet(_DecideMixin, PolicyViewSet):
    """Exceptions with what each holds in open runs; decided by someone other than the asker."""

    serializer_class = CommissionExceptionSerializer
    policy_resource = "commission_exceptions"
    decide_action = policy.DECIDE_EXCEPTION

    def get_queryset(self):
        rows = self.scoped(CommissionException.objects.select_related("lead__owner__user"))
        if self.action == "list":
            params = query_params(ExceptionQuery, self.request)
            if "status" in params:
                rows = rows.filter(status=params["status"])
        return rows.order_by("-requested_at", "-pk")

    def apply(self, row, *, approved, comment):
        if approved:
            return commission_exception_approve(exception=row, approved_by=self.request.user,
                                                comment=comment)
        return commission_exception_reject(exception=row, rejected_by=self.request.user,
                                           comment=comment)


@extend_schema_view(
    list=extend_schema(summary="Payout inquiries the caller may see, newest first",
                       parameters=[InquiryQuery]),
    retrieve=extend_schema(summary="One payout inquiry"),
    decide=extend_schema(
        summary="Accept or reject a payout inquiry",
        description="By the team's sales head or above; ``approve`` accepts it.",
        request=DecisionSerializer, examples=DECISION_EXAMPLES,
        responses={200: PayoutInquirySerializer, 409: REFUSAL}),
)
class PayoutInquiryViewSet(_DecideMixin, PolicyViewSet):
    """Managers' questions about lines of their pay, decided by the team's head or above."""

    serializer_class = PayoutInquirySerializer
    policy_resource = "payout_inquiries"
    decide_action = policy.DECIDE_INQUIRY

    def get_queryset(self):
        rows = self.scoped(PayoutInquiry.objects.select_related("manager__user"))
        if self.action == "list":
            params = query_params(InquiryQuery, self.request)
            if "status" in params:
                rows = rows.filter(status=params["status"])
        return rows.order_by("-raised_at", "-pk")

    def apply(self, row, *, approved, comment):
        return inquiry_decide(inquiry=row, accepted=approved, comment=comment,
                              decided_by=self.request.user)

