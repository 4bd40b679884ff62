from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "zhengqian.legal"
    label = "legal"
    verbose_name = _("Legal procedure")

    def ready(self) -> None:
        from zhengqian.core.sections import register
        from zhengqian.legal.selectors import household_section

        register(
            "legal",
            order=57,
            template="legal/_household_section.html",
            build=household_section,
        )
