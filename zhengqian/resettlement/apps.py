from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResettlementConfig(AppConfig):
    name = "zhengqian.resettlement"
    label = "resettlement"
    verbose_name = _("Resettlement")
