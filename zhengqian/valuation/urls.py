from django.urls import path

from zhengqian.valuation import urls_household, urls_import, urls_project, views_index

app_name = "valuation"

# The firm register and project pages, the household pages, and the Excel import/export live in
# their own URL modules.
urlpatterns = [
    path("", views_index.index, name="index"),
    *urls_project.urlpatterns,
    *urls_household.urlpatterns,
    *urls_import.urlpatterns,
]
