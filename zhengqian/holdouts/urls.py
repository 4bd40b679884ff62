"""The holdout pages (the "holdouts" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.holdouts import views

app_name = "holdouts"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("households/<int:pk>/open/", views.case_open, name="case_open"),
    path("cases/<int:pk>/", views.case, name="case"),
    path("cases/<int:pk>/update/", views.case_update, name="case_update"),
    path("cases/<int:pk>/negotiate/", views.negotiate, name="negotiate"),
    path("cases/<int:pk>/close/", views.case_close, name="case_close"),
    path("files/<int:pk>/", views.negotiation_file, name="file"),
]
