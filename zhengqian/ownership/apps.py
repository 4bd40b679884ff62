from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OwnershipConfig(AppConfig):
    name = "zhengqian.ownership"
    label = "ownership"
    verbose_name = _("Ownership confirmation")

    def ready(self) -> None:
        from zhengqian.core.sections import register
        from zhengqian.ownership.selectors import household_section

        register(
            "ownership",
            order=10,
            template="ownership/_household_section.html",
            build=household_section,
        )
