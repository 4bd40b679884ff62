from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HoldoutsConfig(AppConfig):
    name = "zhengqian.holdouts"
    label = "holdouts"
    verbose_name = _("Holdout clearance")

    def ready(self) -> None:
        from zhengqian.core.sections import register
        from zhengqian.holdouts.selectors import household_section

        register(
            "holdouts",
            order=55,
            template="holdouts/_household_section.html",
            build=household_section,
        )
