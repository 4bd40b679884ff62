from django.urls import URLPattern, path

from zhengqian.ownership import views

app_name = "ownership"

urlpatterns: list[URLPattern] = [
    path("households/<int:pk>/", views.household_detail, name="household"),
    path(
        "households/<int:pk>/buildings/<int:building_pk>/",
        views.building_confirm,
        name="building_confirm",
    ),
    path(
        "households/<int:pk>/persons/<int:person_pk>/",
        views.person_confirm,
        name="person_confirm",
    ),
    path("households/<int:pk>/submit/", views.confirmation_submit, name="submit"),
    path("households/<int:pk>/review/", views.confirmation_review, name="review"),
    path(
        "households/<int:pk>/changes/new/",
        views.change_request_create,
        name="change_request_create",
    ),
    path("changes/<int:pk>/", views.change_request_detail, name="change_request_detail"),
    path("changes/<int:pk>/decide/", views.change_request_decide, name="change_request_decide"),
    path(
        "changes/<int:pk>/evidence/",
        views.change_request_evidence,
        name="change_request_evidence",
    ),
    path("projects/<int:project_id>/", views.project_queue, name="project_queue"),
]
