from django.urls import path

from zhengqian.core import views

app_name = "core"

urlpatterns = [
    path("dictionaries/", views.dictionary_list, name="dictionary_list"),
    path("dictionaries/<str:kind>/", views.dictionary_kind, name="dictionary_kind"),
    path("dictionary-entries/<int:pk>/", views.dictionary_entry_edit, name="dictionary_entry_edit"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<int:pk>/remove/", views.calendar_day_remove, name="calendar_day_remove"),
]
