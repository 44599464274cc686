from django.urls import path

from . import views

app_name = "vendors"

urlpatterns = [
    path("", views.vendor_list, name="list"),
    path("guest/", views.guest_home, name="guest"),
    path("<int:vendor_id>/", views.vendor_page, name="vendor"),
    path("<int:vendor_id>/compute/", views.vendor_compute, name="compute"),
    path("<int:vendor_id>/top-up/", views.vendor_top_up, name="top-up"),
    path("statements/<int:statement_id>/", views.statement_page, name="statement"),
    path("statements/<int:statement_id>/final/", views.statement_finalise, name="finalise"),
    path("statements/<int:statement_id>/paid/", views.statement_pay, name="pay"),
    path("statements/<int:statement_id>/file/", views.statement_file, name="file"),
]

urlpatterns += [
    path("pilots/<int:pilot_id>/", views.pilot_page, name="pilot"),
    path("<int:vendor_id>/listening/", views.listening_page, name="qa"),
    path("<int:vendor_id>/listening/verdict/", views.verdict_set, name="verdict"),
    path("what-if/", views.compare_page, name="compare"),
]
urlpatterns += [
    path("<int:vendor_id>/operators/", views.operator_add, name="operator-add"),
]
