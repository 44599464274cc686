from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.team_month, name="team-month"),
    path("overview/", views.overview, name="overview"),
    path("runs/<int:run_id>/people/", views.run_people_lines, name="lines"),
    path("runs/<int:run_id>/approve/", views.approve, name="approve"),
    path("runs/<int:run_id>/recompute/", views.recompute, name="recompute"),
    path("runs/<int:run_id>/progress/", views.progress, name="progress"),
    path("runs/<int:run_id>/export/", views.export, name="export"),
    path("runs/<int:run_id>/mark-paid/", views.mark_paid, name="mark-paid"),
    path("exceptions/<int:exception_id>/decide/", views.decide_exception,
         name="decide-exception"),
    path("exceptions/request/", views.request_exception, name="request-exception"),
    path("inquiries/<int:inquiry_id>/decide/", views.decide_inquiry, name="decide-inquiry"),
]
