from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ValuationConfig(AppConfig):
    name = "zhengqian.valuation"
    label = "valuation"
    verbose_name = _("Valuation")

    def ready(self) -> None:
        from zhengqian.core.sections import register
        from zhengqian.valuation import receivers  # noqa: F401  (connects the stale marks)
        from zhengqian.valuation.selectors import household_section

        register(
            "valuation",
            order=20,
            template="valuation/_household_section.html",
            build=household_section,
        )
