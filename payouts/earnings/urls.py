from django.urls import path

from . import api, views

app_name = "earnings"

urlpatterns = [
    path("", views.month, name="month"),
    path("lines/<int:pk>/", views.line, name="line"),
    path("lines/<int:pk>/ask/", views.ask, name="ask"),
    path("statement/", views.statement, name="statement"),
]

# Mounted under /api/me/ by salesops.urls.
api_urlpatterns = [
    path("earnings/", api.MyEarnings.as_view(), name="my-earnings"),
    path("earnings/lines/<int:pk>/items/", api.MyLineItems.as_view(), name="my-line-items"),
]
