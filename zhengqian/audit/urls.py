from django.urls import path

from zhengqian.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.trail, name="trail"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("verify/", views.verify, name="verify"),
]
