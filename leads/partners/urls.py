from django.urls import path, re_path

from . import api, views

app_name = "partner"
urlpatterns = [
    path("", views.home, name="home"),
    path("statements/<int:pk>/", views.statement, name="statement"),
    path("refer/", views.refer, name="refer"),
    path("link/", views.referral_link_make, name="link-make"),
    path("payout-details/", views.payout_details, name="payout-details"),
    path("handed/<int:pk>/", views.handed_lead, name="handed-lead"),
]

# Our side of handed leads (the owner's and admins' list, a manager handing a lead).
receivable_urlpatterns = ([
    path("", views.receivables, name="receivables"),
    path("hand/<int:pk>/", views.hand_lead, name="hand"),
    path("received/<int:pk>/", views.commission_received, name="commission-received"),
], "partner-receivables")

# The partner's personal link.
link_urlpatterns = ([path("<slug:code>/", views.referral_link, name="link")], "referral")

# The partner API (under /api/partner/).
api_urlpatterns = ([
    path("leads/", api.PartnerLeadsView.as_view(), name="leads"),
    # Any segment reaches the view, which answers a JSON 404 for what is not an id of theirs
    # (as the router's endpoints do).
    re_path(r"^handed-leads/(?P<id>[^/]+)/$", api.PartnerHandedLeadView.as_view(),
            name="handed-lead"),
    path("statements/", api.PartnerStatementsView.as_view(), name="statements"),
], "partner-api")
