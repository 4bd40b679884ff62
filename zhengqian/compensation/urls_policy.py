"""The policy pages, in the "compensation" namespace (see compensation/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from zhengqian.compensation import views_policy as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("projects/<int:project_id>/policy/", views.policy_page, name="policy"),
    path("projects/<int:project_id>/policy/draft/", views.policy_draft, name="policy_draft"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/items/new/", views.item_add, name="policy_item_add"),
    path("policies/<int:pk>/items/<int:item_pk>/", views.item_edit, name="policy_item_edit"),
    path(
        "policies/<int:pk>/items/<int:item_pk>/delete/",
        views.item_delete,
        name="policy_item_delete",
    ),
    path("policies/<int:pk>/preview/", views.policy_preview, name="policy_preview"),
    path("policies/<int:pk>/publish/", views.policy_publish, name="policy_publish"),
]
