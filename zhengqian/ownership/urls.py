from django.urls import URLPattern

app_name = "ownership"

urlpatterns: list[URLPattern] = []
