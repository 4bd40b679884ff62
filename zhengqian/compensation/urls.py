from zhengqian.compensation import urls_calculation, urls_policy

app_name = "compensation"

# The policy pages and the calculation pages live in their own URL modules.
urlpatterns = [*urls_policy.urlpatterns, *urls_calculation.urlpatterns]
