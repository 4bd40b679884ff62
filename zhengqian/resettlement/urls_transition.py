"""The transition pages of the resettlement module."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.resettlement import views_transition

urlpatterns: list[URLPattern] = [
    path("projects/<int:pk>/transition/", views_transition.project, name="transition"),
    path(
        "projects/<int:pk>/transition/generate/",
        views_transition.generate,
        name="transition_generate",
    ),
]
