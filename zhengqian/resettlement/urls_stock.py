"""The stock pages of the resettlement module: the housing stock, its Excel import and the
reports."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.resettlement import views_reports, views_stock

urlpatterns: list[URLPattern] = [
    path("projects/<int:pk>/stock/", views_stock.stock, name="stock"),
    path("projects/<int:pk>/stock/estates/new/", views_stock.estate_create, name="estate_create"),
    path("stock/estates/<int:pk>/", views_stock.estate, name="estate"),
    path("stock/estates/<int:pk>/edit/", views_stock.estate_edit, name="estate_edit"),
    path("stock/estates/<int:pk>/handover/", views_stock.estate_handover, name="estate_handover"),
    path(
        "stock/estates/<int:pk>/buildings/new/",
        views_stock.building_create,
        name="building_create",
    ),
    path("stock/estates/<int:pk>/flats/new/", views_stock.flat_create, name="flat_create"),
    path("stock/flats/<int:pk>/edit/", views_stock.flat_edit, name="flat_edit"),
    path("stock/flats/<int:pk>/status/", views_stock.flat_status, name="flat_status"),
    path("stock/flats/<int:pk>/delete/", views_stock.flat_delete, name="flat_delete"),
    path("projects/<int:pk>/stock/import/", views_stock.import_start, name="import_start"),
    path(
        "projects/<int:pk>/stock/import/template.xlsx",
        views_stock.import_template,
        name="import_template",
    ),
    path(
        "projects/<int:pk>/stock/import/<int:import_id>/",
        views_stock.import_detail,
        name="import_detail",
    ),
    path(
        "projects/<int:pk>/stock/import/<int:import_id>/errors.xlsx",
        views_stock.import_errors,
        name="import_errors",
    ),
    path(
        "projects/<int:pk>/stock/import/<int:import_id>/confirm/",
        views_stock.import_confirm,
        name="import_confirm",
    ),
    path("projects/<int:pk>/reports/", views_reports.report_page, name="reports"),
    path("projects/<int:pk>/reports.xlsx", views_reports.report_export, name="reports_export"),
]
