from django.contrib.auth import views as auth_views
from django.urls import path

from zhengqian.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password_change"),
    path("confirm-password/", views.confirm_password, name="confirm_password"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_update, name="user_update"),
    path("users/<int:pk>/active/", views.user_set_active, name="user_set_active"),
    path("users/<int:pk>/password/", views.user_set_password, name="user_set_password"),
    path("users/<int:pk>/memberships/", views.membership_grant, name="membership_grant"),
    path(
        "users/<int:pk>/memberships/<int:membership_pk>/revoke/",
        views.membership_revoke,
        name="membership_revoke",
    ),
    path("roles/", views.role_matrix, name="role_matrix"),
    path("roles/set/", views.role_matrix_set, name="role_matrix_set"),
]
