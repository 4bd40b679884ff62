from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RemindersConfig(AppConfig):
    name = "zhengqian.reminders"
    label = "reminders"
    verbose_name = _("Reminders")

    def ready(self) -> None:
        from zhengqian.reminders import providers

        providers.register_all()
        from zhengqian.reminders import legal

        legal.register_deadlines()
