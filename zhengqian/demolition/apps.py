from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemolitionConfig(AppConfig):
    name = "zhengqian.demolition"
    label = "demolition"
    verbose_name = _("Vacating and demolition")

    def ready(self) -> None:
        from zhengqian.core.sections import register
        from zhengqian.demolition.selectors import household_section

        register(
            "demolition",
            order=50,
            template="demolition/_household_section.html",
            build=household_section,
        )
