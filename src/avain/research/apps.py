from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResearchConfig(AppConfig):
    name = "avain.research"
    verbose_name = _("Research: consent, studies and exports")
