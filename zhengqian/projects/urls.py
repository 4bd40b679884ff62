from django.urls import path

from zhengqian.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("new/", views.project_create, name="create"),
    path("districts/new/", views.district_create, name="district_create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/work-groups/", views.work_group_create, name="work_group_create"),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/record/",
        views.milestone_record,
        name="milestone_record",
    ),
    path(
        "<int:pk>/milestones/<int:milestone_pk>/plan/", views.milestone_plan, name="milestone_plan"
    ),
]
