from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveyConfig(AppConfig):
    name = "zhengqian.survey"
    label = "survey"
    verbose_name = _("Survey and filing")
