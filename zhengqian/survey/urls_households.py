"""The household pages of the survey module, in the "survey" namespace (see survey/urls.py)."""

from django.urls import URLPattern, path

from zhengqian.survey import views
from zhengqian.survey.models import Ancillary, Building, Person

urlpatterns: list[URLPattern] = [
    path("", views.index, name="index"),
    path("projects/<int:project_id>/households/", views.household_list, name="household_list"),
    path(
        "projects/<int:project_id>/households/new/",
        views.household_create,
        name="household_create",
    ),
    path("projects/<int:project_id>/publication/", views.publication, name="publication"),
    path("projects/<int:project_id>/duplicates/", views.duplicates, name="duplicates"),
    path("households/<int:pk>/", views.household_detail, name="household_detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/delete/", views.household_delete, name="household_delete"),
    path("households/<int:pk>/unmask/", views.household_unmask, name="household_unmask"),
    path("persons/<int:pk>/unmask/", views.person_unmask, name="person_unmask"),
    path(
        "households/<int:pk>/attachments/new/",
        views.attachment_upload,
        name="attachment_upload",
    ),
    path("attachments/<int:pk>/preview/", views.attachment_preview, name="attachment_preview"),
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.attachment_delete, name="attachment_delete"),
]

# Persons, buildings and ancillaries share their views; the model comes with the URL.
for _model, _plural, _single in (
    (Person, "persons", "person"),
    (Building, "buildings", "building"),
    (Ancillary, "ancillaries", "ancillary"),
):
    urlpatterns += [
        path(
            f"households/<int:pk>/{_plural}/new/",
            views.member_create,
            {"model": _model},
            name=f"{_single}_create",
        ),
        path(
            f"{_plural}/<int:pk>/edit/",
            views.member_edit,
            {"model": _model},
            name=f"{_single}_edit",
        ),
        path(
            f"{_plural}/<int:pk>/delete/",
            views.member_delete,
            {"model": _model},
            name=f"{_single}_delete",
        ),
    ]
