"""The legal pages (the "legal" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.legal import views

app_name = "legal"

urlpatterns: list[URLPattern] = [
    path("projects/<int:pk>/", views.project, name="project"),
    path("households/<int:pk>/open/", views.open_proceeding, name="open"),
    path("proceedings/<int:pk>/", views.proceeding, name="proceeding"),
    path("proceedings/<int:pk>/step/", views.record_step, name="step"),
    path("documents/<int:pk>/", views.document, name="document"),
]
