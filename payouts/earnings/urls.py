import datetime

from django.urls import path, register_converter

from . import api, views


class MonthConverter:
    """A pay month in an address, as ``2026-11``."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> datetime.date:
        try:
            return datetime.date(int(value[:4]), int(value[5:]), 1)
        except ValueError as error:
            raise ValueError(value) from error  # no such month: the address does not match

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else f"{value:%Y-%m}"


register_converter(MonthConverter, "month")

app_name = "earnings"

urlpatterns = [
    path("", views.month, name="month"),
    # A line by its lasting address (month, person, component, key); the id address of earlier
    # links redirects here while the line exists.
    path("lines/<int:pk>/", views.line, name="line"),
    path("<month:month>/<int:manager_id>/<str:kind>/", views.line_at, name="line-at"),
    path("<month:month>/<int:manager_id>/<str:kind>/<path:key>/", views.line_at,
         name="line-at"),
    path("lines/<int:pk>/ask/", views.ask, name="ask"),
    path("statement/", views.statement, name="statement"),
]

# Mounted under /api/me/ by salesops.urls.
api_urlpatterns = [
    path("earnings/", api.MyEarnings.as_view(), name="my-earnings"),
    path("earnings/lines/<int:pk>/items/", api.MyLineItems.as_view(), name="my-line-items"),
]
