"""The valuation page of a household and what is done there (in the "valuation" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.valuation import views_household as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/save/", views.household_save, name="household_save"),
    path("households/<int:pk>/confirm/", views.household_confirm, name="household_confirm"),
    path("households/<int:pk>/report/", views.report, name="household_report"),
    path("households/<int:pk>/report/issue/", views.report_issue, name="household_report_issue"),
    path(
        "households/<int:pk>/report/delivered/",
        views.report_delivered,
        name="household_report_delivered",
    ),
    path("households/<int:pk>/objections/", views.objection_apply, name="objection_apply"),
    path(
        "households/<int:pk>/objections/<int:objection_pk>/reopen/",
        views.objection_reopen,
        name="objection_reopen",
    ),
    path(
        "households/<int:pk>/objections/<int:objection_pk>/review-answer/",
        views.objection_review_answer,
        name="objection_review_answer",
    ),
    path(
        "households/<int:pk>/objections/<int:objection_pk>/appraisal-answer/",
        views.objection_appraisal_answer,
        name="objection_appraisal_answer",
    ),
    path(
        "households/<int:pk>/objections/<int:objection_pk>/revision-done/",
        views.objection_revision_done,
        name="objection_revision_done",
    ),
    path(
        "households/<int:pk>/objections/<int:objection_pk>/delivered/",
        views.objection_delivered,
        name="objection_delivered",
    ),
    path(
        "households/<int:pk>/objections/<int:objection_pk>/application/",
        views.objection_document,
        {"which": "application"},
        name="objection_application",
    ),
    path(
        "households/<int:pk>/objections/<int:objection_pk>/answer/",
        views.objection_document,
        {"which": "answer"},
        name="objection_answer_document",
    ),
]
