"""The petitions pages (the "petitions" namespace)."""

from __future__ import annotations

from django.urls import URLPattern, path

from zhengqian.petitions import views

app_name = "petitions"

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("projects/<int:pk>/new/", views.petition_new, name="petition_new"),
    path("projects/<int:pk>/settings/", views.settings_change, name="settings"),
    path("projects/<int:pk>/cases/new/", views.case_new, name="lawcase_new"),
    path("projects/<int:pk>/decisions/", views.decisions, name="decisions"),
    path("petitions/<int:pk>/", views.petition, name="petition"),
    path("petitions/<int:pk>/step/", views.petition_step, name="petition_step"),
    path("petitions/<int:pk>/files/<str:which>/", views.petition_file, name="petition_file"),
    path("cases/<int:pk>/", views.lawcase, name="lawcase"),
    path("cases/<int:pk>/hearing/", views.hearing, name="hearing"),
    path("cases/<int:pk>/outcome/", views.outcome, name="outcome"),
    path("cases/<int:pk>/document/", views.case_file, name="lawcase_file"),
    path("decisions/<int:pk>/", views.decision, name="decision"),
    path("decisions/<int:pk>/minutes/", views.decision_file, name="decision_file"),
]
