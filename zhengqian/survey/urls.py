from zhengqian.survey import urls_households, urls_import

app_name = "survey"

# Household pages and the Excel import/export live in their own URL modules.
urlpatterns = urls_households.urlpatterns + urls_import.urlpatterns
