from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "avain.accounts"
    verbose_name = _("Budget accounts")

    def ready(self):
        # planning may not import accounts; it sends these signals inside its transactions instead, so closing a case
        # closes its account and an approved change moves the account onto its lines in the same transaction.
        from avain.planning import signals

        from . import funding

        signals.case_closed.connect(funding.on_case_closed, dispatch_uid="accounts.close_account")
        signals.plan_change_approved.connect(funding.on_plan_change_approved, dispatch_uid="accounts.apply_plan_change")
