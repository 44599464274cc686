"""Read API over the sales floor, asking the one access policy (salesops.policy): a viewset
names its resource, the permission class asks whether the role may read it at all and each
row, and the queryset holds only the rows the user may read."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets

from payouts.models import PartnerStatement

from . import policy
from .api_schema import MonthField, query_params
from .ingest.api import CallBatchCreateMixin
from .models import CallLog, Manager


class PolicyPermission(permissions.BasePermission):
    """Reads only (these viewsets are read-only): ``view`` on the viewset's resource."""

    def has_permission(self, request, view):
        return policy.may(request.user, policy.VIEW, view.policy_resource)

    def has_object_permission(self, request, view, obj):
        return policy.may(request.user, policy.VIEW, view.policy_resource, obj)


class PolicyViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated, PolicyPermission]
    policy_resource = ""

    def scoped(self, queryset):
        return policy.scoped(self.request.user, policy.VIEW, self.policy_resource, queryset)


class ManagerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="__str__")
    # Owners and admins belong to no team.
    team = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Manager
        fields = ["id", "username", "name", "role", "team", "extension", "active_from",
                  "active_to"]


class CallSerializer(serializers.ModelSerializer):
    outcome = serializers.CharField(source="get_outcome_display")

    class Meta:
        model = CallLog
        fields = ["id", "source", "external_id", "manager", "started_at", "duration_s",
                  "talk_s", "wrapup_s", "direction", "phone", "outcome", "recording_url"]


class PartnerStatementSerializer(serializers.ModelSerializer):
    partner = serializers.StringRelatedField()
    month = MonthField(read_only=True)

    class Meta:
        model = PartnerStatement
        fields = ["id", "partner", "month", "carried_in", "earned", "payable", "carried_out"]


class CallQuery(serializers.Serializer):
    manager = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1,
        help_text="only this manager's calls (a manager's id)")


@extend_schema_view(
    list=extend_schema(summary="People the caller may see",
                       description="A manager sees own profile, a sales head own team's, owner "
                                   "and admins everyone."),
    retrieve=extend_schema(summary="One person"),
)
class ManagerViewSet(PolicyViewSet):
    serializer_class = ManagerSerializer
    policy_resource = "managers"

    def get_queryset(self):
        return self.scoped(Manager.objects.select_related("user", "team")).order_by("pk")


@extend_schema_view(
    list=extend_schema(summary="Calls the caller may see, newest first", parameters=[CallQuery]),
    retrieve=extend_schema(summary="One call"),
)
# Reads by the policy; POST takes a batch of calls (salesops.ingest).
class CallViewSet(CallBatchCreateMixin, PolicyViewSet):
    serializer_class = CallSerializer
    policy_resource = "calls"

    def get_queryset(self):
        calls = self.scoped(CallLog.objects.all())
        if self.action == "list":
            manager_id = query_params(CallQuery, self.request).get("manager")
            if manager_id is not None:
                calls = calls.filter(manager_id=manager_id)
        return calls.order_by("-started_at", "-pk")


@extend_schema_view(
    list=extend_schema(summary="Partner statements the caller may see, newest month first"),
    retrieve=extend_schema(summary="One partner statement"),
)
class PartnerStatementViewSet(PolicyViewSet):
    """A partner with a login reads own statements; owner and admins read all (SPEC §5)."""

    serializer_class = PartnerStatementSerializer
    policy_resource = "partner_statements"

    def get_queryset(self):
        return self.scoped(PartnerStatement.objects.select_related("partner")).order_by(
            "-month", "pk")
