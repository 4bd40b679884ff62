"""The survey's Excel import and export, in the "survey" namespace (see survey/urls.py)."""

from django.urls import URLPattern, path

from zhengqian.survey import views_import as views

urlpatterns: list[URLPattern] = [
    *views.PAGES.urls(),
    path(
        "projects/<int:project_id>/import/template.xlsx",
        views.import_template,
        name="import_template",
    ),
    path("projects/<int:project_id>/export.xlsx", views.export, name="export"),
]
