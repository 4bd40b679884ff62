from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "zhengqian.agreements"
    label = "agreements"
    verbose_name = _("Agreements and signing")

    def ready(self) -> None:
        from zhengqian.agreements.selectors import household_section
        from zhengqian.core.sections import register

        register(
            "agreements",
            order=40,
            template="agreements/_household_section.html",
            build=household_section,
        )
