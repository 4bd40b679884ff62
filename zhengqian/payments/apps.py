from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "zhengqian.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from zhengqian.core import hooks
        from zhengqian.core.sections import register
        from zhengqian.payments import selectors, services

        # Each agreement that takes effect gets its payment plan; money paid blocks a void.
        hooks.listen("agreement.effective", services.on_effective)
        hooks.listen("agreement.void", services.on_void)
        hooks.guard("agreement.void", services.guard_void)
        # The household page's payments section: its account, instalments, payments and
        # its rows of the ledger.
        register(
            "payments",
            order=45,
            template="payments/_household_section.html",
            build=selectors.household_page,
        )
