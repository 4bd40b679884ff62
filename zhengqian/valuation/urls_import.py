"""The valuations' Excel import and export, in the "valuation" namespace (see valuation/urls.py).
The export is also the template: the project's households with the figures entered so far."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.valuation import views_import as views

_import = "projects/<int:project_id>/import"

urlpatterns: list[URLPattern | URLResolver] = [
    path(f"{_import}/", views.import_start, name="import_start"),
    path(f"{_import}/<int:pk>/", views.import_detail, name="import_detail"),
    path(f"{_import}/<int:pk>/progress/", views.import_progress, name="import_progress"),
    path(f"{_import}/<int:pk>/errors.xlsx", views.import_errors_xlsx, name="import_errors_xlsx"),
    path(f"{_import}/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("projects/<int:project_id>/export.xlsx", views.export, name="export"),
]
