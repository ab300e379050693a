from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimeuseConfig(AppConfig):
    name = "avain.timeuse"
    verbose_name = _("Time use")
