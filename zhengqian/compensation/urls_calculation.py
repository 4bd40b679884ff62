"""The calculation pages (in the "compensation" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.compensation import views_batch
from zhengqian.compensation import views_calculation as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("households/<int:pk>/", views.household, name="household"),
    path(
        "households/<int:pk>/calculate/",
        views.household_calculate,
        name="household_calculate",
    ),
    path("calculations/<int:pk>/", views.calculation, name="calculation"),
    path(
        "calculations/<int:pk>/submit/",
        views.calculation_submit,
        name="calculation_submit",
    ),
    path(
        "calculations/<int:pk>/review/",
        views.calculation_review,
        name="calculation_review",
    ),
    path("projects/<int:pk>/queue/", views.queue, name="queue"),
]

urlpatterns += [
    path("projects/<int:pk>/batch/", views_batch.batch, name="batch"),
    path("batches/<int:pk>/", views_batch.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/progress/", views_batch.batch_progress, name="batch_progress"),
]

# Exceptions to the policy (views_exceptions).
from zhengqian.compensation import views_exceptions  # noqa: E402

urlpatterns += [
    path(
        "households/<int:pk>/exception/",
        views_exceptions.household_exception,
        name="household_exception",
    ),
    path(
        "households/<int:pk>/exception/calculate/",
        views_exceptions.household_exception_calculate,
        name="household_exception_calculate",
    ),
    path(
        "households/<int:pk>/decisions/",
        views_exceptions.decision_record,
        name="decision_record",
    ),
    path("projects/<int:pk>/exceptions/", views_exceptions.exceptions, name="exceptions"),
    path(
        "decisions/<int:pk>/document/",
        views_exceptions.decision_document,
        name="decision_document",
    ),
]
