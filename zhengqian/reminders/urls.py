from django.urls import path

from zhengqian.reminders import views, views_rules

app_name = "reminders"

urlpatterns = [
    path("", views.my_work, name="my_work"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.read, name="read"),
    path("notifications/read-all/", views.read_all, name="read_all"),
    path("badge/", views.badge, name="badge"),
    path("rules/", views_rules.rule_list, name="rules"),
    path("rules/<str:kind>/", views_rules.rule_edit, name="rule_edit"),
    path("rules/remove/<int:pk>/", views_rules.rule_remove, name="rule_remove"),
]
