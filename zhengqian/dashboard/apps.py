from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "zhengqian.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboards and reports")

    def ready(self) -> None:
        from zhengqian.dashboard import receivers

        receivers.connect()
