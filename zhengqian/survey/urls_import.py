"""The survey's Excel import and export, in the "survey" namespace (see survey/urls.py)."""

from django.urls import URLPattern, path

from zhengqian.survey import views_import as views

urlpatterns: list[URLPattern] = [
    path("projects/<int:project_id>/import/", views.import_start, name="import_start"),
    path(
        "projects/<int:project_id>/import/template.xlsx",
        views.import_template,
        name="import_template",
    ),
    path("projects/<int:project_id>/import/<int:pk>/", views.import_detail, name="import_detail"),
    path(
        "projects/<int:project_id>/import/<int:pk>/progress/",
        views.import_progress,
        name="import_progress",
    ),
    path(
        "projects/<int:project_id>/import/<int:pk>/errors.xlsx",
        views.import_errors_xlsx,
        name="import_errors_xlsx",
    ),
    path(
        "projects/<int:project_id>/import/<int:pk>/confirm/",
        views.import_confirm,
        name="import_confirm",
    ),
    path("projects/<int:project_id>/export.xlsx", views.export, name="export"),
]
