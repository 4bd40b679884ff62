from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "zhengqian.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from zhengqian.core import hooks
        from zhengqian.payments import services

        # Each agreement that takes effect gets its payment plan; money paid blocks a void.
        hooks.listen("agreement.effective", services.on_effective)
        hooks.listen("agreement.void", services.on_void)
        hooks.guard("agreement.void", services.guard_void)
