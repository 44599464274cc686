from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("<int:pk>/", views.batch_detail, name="batch"),
    path("<int:pk>/progress/", views.batch_progress_json, name="progress"),
    path("<int:pk>/errors.csv", views.batch_errors_csv, name="errors"),
    path("<int:pk>/rerun/", views.batch_rerun, name="rerun"),
    path("<int:pk>/columns/", views.batch_columns, name="columns"),
    path("<int:pk>/values/", views.batch_map_values, name="values"),
    path("<int:pk>/rollback/", views.batch_rollback, name="rollback"),
]
