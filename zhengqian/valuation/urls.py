from zhengqian.valuation import urls_household, urls_import, urls_project

app_name = "valuation"

# The firm register and project pages, the household pages, and the Excel import/export live in
# their own URL modules.
urlpatterns = urls_project.urlpatterns + urls_household.urlpatterns + urls_import.urlpatterns
