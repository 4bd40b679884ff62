from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemolitionConfig(AppConfig):
    name = "zhengqian.demolition"
    label = "demolition"
    verbose_name = _("Vacating and demolition")
