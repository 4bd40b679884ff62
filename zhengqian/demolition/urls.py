"""The demolition pages (the "demolition" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.demolition import views

app_name = "demolition"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/vacate/", views.vacate, name="vacate"),
    path("households/<int:pk>/demolish/", views.demolish, name="demolish"),
    path("households/<int:pk>/clear/", views.clear, name="clear"),
    path("households/<int:pk>/inspect/", views.inspect, name="inspect"),
    path("households/<int:pk>/acceptance-form/", views.acceptance_form, name="acceptance_form"),
    path(
        "rectifications/<int:pk>/close/",
        views.rectification_close,
        name="rectification_close",
    ),
    path("photos/<int:pk>/", views.photo, name="photo"),
]
