from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def demo_mode_is_off(app_configs, **kwargs):
    """The persona switcher signs anyone in as anyone: it must never reach production."""
    if getattr(settings, "AVAIN_DEMO", False):
        return [
            checks.Error(
                "AVAIN_DEMO is on: the demo persona switcher lets anyone act as any user.",
                hint="Unset AVAIN_DEMO (or set it to 0) in production.",
                id="avain.E001",
            )
        ]
    return []
