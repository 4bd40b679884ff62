from django.urls import path

from zhengqian.compensation import urls_calculation, urls_policy, views_index

app_name = "compensation"

# The policy pages and the calculation pages live in their own URL modules.
urlpatterns = [
    path("", views_index.index, name="index"),
    *urls_policy.urlpatterns,
    *urls_calculation.urlpatterns,
]
