"""The valuations' Excel import and export, in the "valuation" namespace (see valuation/urls.py).
The export is also the template: the project's households with the figures entered so far."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.valuation import views_import as views

urlpatterns: list[URLPattern | URLResolver] = [
    *views.PAGES.urls(),
    path("projects/<int:project_id>/export.xlsx", views.export, name="export"),
]
