from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "zhengqian.accounts"
    label = "accounts"
    verbose_name = _("Accounts and permissions")

    def ready(self) -> None:
        from zhengqian.accounts import checks  # noqa: F401  (registers the system check)
