"""The project and agreement pages (in the "agreements" namespace, see agreements/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.agreements import views_agreement, views_index, views_project

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views_index.index, name="index"),
    # A project's agreements and its templates.
    path("projects/<int:pk>/", views_project.project, name="project"),
    path("projects/<int:pk>/drafts/", views_project.project_drafts, name="project_drafts"),
    path("batches/<int:pk>/progress/", views_project.batch_progress, name="batch_progress"),
    path("projects/<int:pk>/templates/", views_project.templates, name="templates"),
    path(
        "projects/<int:pk>/templates/upload/",
        views_project.template_upload,
        name="template_upload",
    ),
    path(
        "projects/<int:pk>/templates/sample/<str:kind>/",
        views_project.template_sample,
        name="template_sample",
    ),
    path("projects/<int:pk>/pattern/", views_project.pattern_set, name="pattern_set"),
    path(
        "projects/<int:pk>/pattern/preview/",
        views_project.pattern_preview,
        name="pattern_preview",
    ),
    path("templates/<int:pk>/download/", views_project.template_download, name="template_download"),
    # One agreement.
    path("<int:pk>/", views_agreement.agreement, name="agreement"),
    path("<int:pk>/sign/", views_agreement.agreement_sign, name="agreement_sign"),
    path(
        "<int:pk>/void/request/",
        views_agreement.agreement_void_request,
        name="agreement_void_request",
    ),
    path(
        "<int:pk>/void/decide/",
        views_agreement.agreement_void_decide,
        name="agreement_void_decide",
    ),
    path("<int:pk>/pdf/", views_agreement.agreement_pdf, name="agreement_pdf"),
    path("<int:pk>/docx/", views_agreement.agreement_docx, name="agreement_docx"),
    path("<int:pk>/scan/", views_agreement.agreement_scan, name="agreement_scan"),
    path("<int:pk>/attorney/", views_agreement.agreement_attorney, name="agreement_attorney"),
    path("draft/<int:calculation_pk>/", views_agreement.draft, name="draft"),
]
