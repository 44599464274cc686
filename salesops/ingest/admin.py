"""Integrations in the admin (issue 21): made with a token shown once, re-keyed, revoked, their
health and the generic adapter's JSON paths; refused requests read-only. Every door asks the
policy (``integrations``, ``refused_requests``) and writes through the services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from salesops import policy
from salesops.admin_scoping import PolicyModelAdmin

from .adapters import Unreadable
from .adapters.generic import MISSING, events_from_json, json_path
from .calls import zone_of
from .forms import JsonMappingForm
from .models import Adapter, Integration, RefusedRequest
from .selectors import integration_health
from .services import (
    integration_json_mapping_set,
    integration_revoke,
    integration_save,
    integration_token_renew,
)


def webhook_address(request, integration: Integration) -> str:
    if integration.adapter == Adapter.API:
        return request.build_absolute_uri(reverse("call-list"))
    return request.build_absolute_uri(reverse("ingest-webhook", args=[integration.public_id]))


@admin.register(Integration)
class IntegrationAdmin(PolicyModelAdmin):
    list_display = ["name", "source", "adapter", "token_prefix", "revoked_at", "last_event_at",
                    "health_link"]
    list_filter = ["adapter", "source"]
    search_fields = ["name", "source"]
    filter_horizontal = ["teams"]
    actions = ["revoke", "renew_token"]

    def get_fields(self, request, obj=None):
        fields = ["name", "source", "adapter", "secret", "account_key", "teams",
                  "status_preset", "time_zone"]
        return fields if obj is None else [*fields, "token_prefix", "created_at",
                                           "revoked_at", "last_event_at"]

    def get_readonly_fields(self, request, obj=None):
        # A call's identity is (source, external id): changing either would orphan the
        # calls already posted, so an integration keeps them.
        if obj is None:
            return []
        return ["source", "adapter", "token_prefix", "created_at", "revoked_at",
                "last_event_at"]

    @admin.display(description=_("health"))
    def health_link(self, obj):
        return format_html('<a href="{}">{}</a>',
                           reverse("admin:ingest_integration_health", args=[obj.pk]),
                           _("health"))

    def save_model(self, request, obj, form, change):
        request._ingest_token = integration_save(integration=obj, by=request.user,
                                                 teams=form.cleaned_data.get("teams"))

    def save_related(self, request, form, formsets, change):
        pass  # the teams are set by the service

    def response_add(self, request, obj, post_url_continue=None):
        return self._token_page(request, obj, request._ingest_token)

    def _token_page(self, request, integration, token):
        return TemplateResponse(request, "admin/ingest/token.html", {
            **self.admin_site.each_context(request), "integration": integration,
            "token": token, "address": webhook_address(request, integration),
            "title": _("The integration's token"), "opts": self.model._meta,
        })

    @admin.action(description=_("Revoke: refuse everything they post from now on"))
    def revoke(self, request, queryset):
        for integration in queryset:
            integration_revoke(integration=integration, by=request.user)
        messages.success(request, _("Revoked."))

    @admin.action(description=_("Give a new token (the old one stops working)"))
    def renew_token(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, _("Choose one integration: its new token is shown once."))
            return None
        integration = queryset.get()
        token = integration_token_renew(integration=integration, by=request.user)
        integration.refresh_from_db()
        return self._token_page(request, integration, token)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/health/", wrap(self.health_view), name="ingest_integration_health"),
            path("<int:pk>/json-paths/", wrap(self.json_paths_view),
                 name="ingest_integration_json_paths"),
            *super().get_urls(),
        ]

    def _integration(self, request, pk, action):
        integration = get_object_or_404(self.get_queryset(request), pk=pk)
        if not policy.may(request.user, action, "integrations", integration):
            raise PermissionDenied
        return integration

    def health_view(self, request, pk):
        integration = self._integration(request, pk, policy.VIEW)
        return TemplateResponse(request, "admin/ingest/health.html", {
            **self.admin_site.each_context(request), "integration": integration,
            "health": integration_health(integration), "opts": self.model._meta,
            "address": webhook_address(request, integration),
            "title": _("Health of %(name)s") % {"name": integration.name},
        })

    def json_paths_view(self, request, pk):
        integration = self._integration(request, pk, policy.CHANGE)
        form = JsonMappingForm(request.POST or None, mapping=integration.json_mapping)
        picked, preview, problem = [], [], ""
        if request.method == "POST" and form.is_valid():
            mapping, sample = form.mapping(), form.cleaned_data["sample"]
            if "save" in request.POST:
                integration_json_mapping_set(integration=integration, mapping=mapping,
                                             by=request.user)
                messages.success(request, _("The JSON paths are saved."))
                return redirect("admin:ingest_integration_json_paths", pk=integration.pk)
            if sample is not None:
                records = json_path(sample, mapping["calls"]) if mapping.get("calls") \
                    else sample
                first = records[0] if isinstance(records, list) and records else records
                picked = [(row.label, path, _shown(json_path(first, path)) if path else "")
                          for row in form.field_rows()
                          for path in [(form.cleaned_data.get(row.name) or "").strip()]]
                try:
                    preview = events_from_json(sample, mapping, _Local(integration))
                except Unreadable as exc:
                    problem = str(exc)
        return TemplateResponse(request, "admin/ingest/json_paths.html", {
            **self.admin_site.each_context(request), "integration": integration,
            "form": form, "picked": picked, "preview": preview, "problem": problem,
            "opts": self.model._meta,
            "title": _("JSON paths of %(name)s") % {"name": integration.name},
        })


def _shown(value):
    return _("not found") if value is MISSING else value


class _Local:
    """``local_time`` of an adapter, for the mapping screen's preview."""

    def __init__(self, integration):
        from .adapters.generic import GenericJsonAdapter

        self.adapter = GenericJsonAdapter(integration, zone_of(integration))

    def __call__(self, value, name):
        return self.adapter.local_time(value, name)


@admin.register(RefusedRequest)
class RefusedRequestAdmin(PolicyModelAdmin):
    list_display = ["at", "integration", "reason", "status", "path", "remote_addr"]
    list_filter = ["reason", "integration"]
    date_hierarchy = "at"

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
