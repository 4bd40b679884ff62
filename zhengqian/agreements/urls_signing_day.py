"""The signing-day screen (in the "agreements" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.agreements import views_signing_day as views

urlpatterns: list[URLPattern] = [
    path("projects/<int:pk>/signing-day/", views.signing_day, name="signing_day"),
    path("projects/<int:pk>/signing-day/live/", views.signing_day_live, name="signing_day_live"),
]
