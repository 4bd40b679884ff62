from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemolitionConfig(AppConfig):
    name = "zhengqian.demolition"
    label = "demolition"
    verbose_name = _("Vacating and demolition")

    def ready(self) -> None:
        from zhengqian.core import hooks
        from zhengqian.core.sections import register
        from zhengqian.demolition.selectors import household_section
        from zhengqian.demolition.services import guard_void

        # A house vacated on an agreement keeps it: a correction is a supplement.
        hooks.guard("agreement.void", guard_void)

        register(
            "demolition",
            order=50,
            template="demolition/_household_section.html",
            build=household_section,
        )
