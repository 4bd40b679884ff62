from django.urls import path

from zhengqian.dashboard import views, views_reports

app_name = "dashboard"

urlpatterns = [
    path("", views.leader, name="leader"),
    path("project/<int:pk>/", views.project, name="project"),
    path("project/<int:pk>/plan/", views.plan_add, name="plan_add"),
    path("project/<int:pk>/plan/<int:point_pk>/", views.plan_change, name="plan_change"),
    path("project/<int:pk>/plan/<int:point_pk>/remove/", views.plan_remove, name="plan_remove"),
    path("households/", views.households, name="households"),
    # reports
    path("reports/daily/", views_reports.daily, name="daily"),
    path("reports/daily.xlsx", views_reports.daily_xlsx, name="daily_xlsx"),
    path("reports/monthly/", views_reports.monthly, name="monthly"),
    path("reports/monthly.xlsx", views_reports.monthly_xlsx, name="monthly_xlsx"),
    path("reports/pivot/", views_reports.pivot, name="pivot"),
    path("reports/pivot.xlsx", views_reports.pivot_xlsx, name="pivot_xlsx"),
    path("households.xlsx", views_reports.export, name="export"),
]
