from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnershipConfig(AppConfig):
    name = "zhengqian.ownership"
    label = "ownership"
    verbose_name = _("Ownership confirmation")
