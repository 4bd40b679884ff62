"""The register of appraisal firms and the project valuation pages."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.valuation import views_project as views

_selection = "projects/<int:project_id>/selections/<int:pk>"

urlpatterns: list[URLPattern | URLResolver] = [
    path("firms/", views.firm_list, name="firms"),
    path("firms/new/", views.firm_create, name="firm_create"),
    path("firms/<int:pk>/", views.firm_detail, name="firm"),
    path("firms/<int:pk>/valuers/", views.valuer_add, name="valuer_add"),
    path("projects/<int:project_id>/", views.project_page, name="project"),
    path("projects/<int:project_id>/negotiation/", views.negotiate, name="negotiate"),
    path("projects/<int:project_id>/vote/", views.vote_open, name="vote_open"),
    path("projects/<int:project_id>/draw/", views.draw_prepare, name="draw_prepare"),
    path(f"{_selection}/votes/", views.vote_record, name="vote_record"),
    path(f"{_selection}/close/", views.vote_close, name="vote_close"),
    path(f"{_selection}/run/", views.draw_run, name="draw_run"),
    path(f"{_selection}/cancel/", views.selection_cancel, name="selection_cancel"),
    path(f"{_selection}/draw/", views.draw_page, name="draw"),
    path(f"{_selection}/document/", views.selection_document, name="selection_document"),
    path("projects/<int:project_id>/publish/", views.publish, name="publish"),
    path(
        "projects/<int:project_id>/publications/<int:pk>/",
        views.publication,
        name="publication",
    ),
    path(
        "projects/<int:project_id>/performance.xlsx",
        views.performance_export,
        name="performance_export",
    ),
]
