"""Read API over the sales floor, scoped by the same selector as pages and admin."""

from rest_framework import serializers, viewsets

from .models import CallLog, Manager
from .selectors import managers_visible_to, scope_to_user


class ManagerSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="__str__")
    team = serializers.SlugRelatedField(slug_field="code", read_only=True)

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


class ManagerViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ManagerSerializer

    def get_queryset(self):
        return managers_visible_to(self.request.user).order_by("pk")


class CallViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CallSerializer

    def get_queryset(self):
        calls = scope_to_user(CallLog.objects.all(), self.request.user)
        manager_id = self.request.query_params.get("manager")
        if manager_id and manager_id.isdigit():
            calls = calls.filter(manager_id=manager_id)
        return calls.order_by("-started_at", "-pk")
