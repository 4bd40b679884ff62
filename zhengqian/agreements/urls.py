from zhengqian.agreements import urls_agreement, urls_signing_day

app_name = "agreements"

# The project and agreement pages, and the signing-day screen, live in their own URL modules.
urlpatterns = [*urls_agreement.urlpatterns, *urls_signing_day.urlpatterns]
