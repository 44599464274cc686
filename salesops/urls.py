from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.routers import DefaultRouter

from leads.partners.urls import api_urlpatterns as partner_api
from leads.partners.urls import link_urlpatterns, receivable_urlpatterns
from payouts.earnings.urls import api_urlpatterns as earnings_api
from payouts.review import api as review_api

from . import api, views
from .ingest.api import WebhookView

admin.site.site_header = _("SalesOps administration")
admin.site.site_title = "SalesOps"
admin.site.index_title = _("Back office")

router = DefaultRouter()
router.register("managers", api.ManagerViewSet, basename="manager")
router.register("calls", api.CallViewSet, basename="call")
router.register("partner-statements", api.PartnerStatementViewSet, basename="partner-statement")
# The sales head's month (payouts.review).
router.register("payout-runs", review_api.PayoutRunViewSet, basename="payout-run")
router.register("commission-exceptions", review_api.CommissionExceptionViewSet,
                basename="commission-exception")
router.register("payout-inquiries", review_api.PayoutInquiryViewSet, basename="payout-inquiry")

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("imports/", include("salesops.imports.urls")),
    path("review/", include("payouts.review.urls")),
    path("earnings/", include("payouts.earnings.urls")),
    path("vendors/", include("payouts.vendors.urls")),
    path("partner/", include("leads.partners.urls")),
    path("handed-leads/", include(receivable_urlpatterns)),
    path("r/", include(link_urlpatterns)),
    path("api/me/", include((earnings_api, "earnings-api"))),
    # Telephony webhooks, one address per integration (salesops.ingest).
    path("api/hooks/", include([
        # An address that is no integration's key answers 404 in JSON (salesops.errors).
        path("<uuid:public_id>/", WebhookView.as_view(), name="ingest-webhook")])),
    path("api/partner/", include(partner_api)),
    path("api/", include(router.urls)),
    # The schema describes every endpoint: for signed-in users only (salesops.policy).
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]),
         name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api-schema", permission_classes=[IsAuthenticated]), name="api-docs"),
]

# Under /api/ errors answer JSON, as the schema documents; pages keep the site's error pages.
handler400 = "salesops.errors.bad_request"
handler403 = "salesops.errors.permission_denied"
handler404 = "salesops.errors.page_not_found"
handler500 = "salesops.errors.server_error"
