from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResettlementConfig(AppConfig):
    name = "zhengqian.resettlement"
    label = "resettlement"
    verbose_name = _("Resettlement")

    def ready(self) -> None:
        from zhengqian.core.sections import register
        from zhengqian.resettlement import sections, selectors_voucher

        # Voucher expiry dates reach the reminders through the deadlines registry.
        selectors_voucher.register_deadlines()
        register(
            "resettlement",
            order=55,
            template="resettlement/_household_section.html",
            build=sections.household_section,
        )
