"""The resettlement pages (the "resettlement" namespace): each part keeps its own routes."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.resettlement import (
    urls_selection,
    urls_stock,
    urls_transition,
    urls_voucher,
    views_index,
)

app_name = "resettlement"

urlpatterns: list[URLPattern] = [
    path("", views_index.index, name="index"),
    path("projects/<int:pk>/", views_index.project, name="project"),
    *urls_stock.urlpatterns,
    *urls_selection.urlpatterns,
    *urls_voucher.urlpatterns,
    *urls_transition.urlpatterns,
]
