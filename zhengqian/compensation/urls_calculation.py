"""The calculation pages (in the "compensation" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

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
