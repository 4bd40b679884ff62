from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompensationConfig(AppConfig):
    name = "zhengqian.compensation"
    label = "compensation"
    verbose_name = _("Calculation and review")

    def ready(self) -> None:
        from zhengqian.compensation import receivers  # noqa: F401  (connects the stale marks)
        from zhengqian.compensation.selectors import household_section
        from zhengqian.core.sections import register

        register(
            "compensation",
            order=30,
            template="compensation/_household_section.html",
            build=household_section,
        )
