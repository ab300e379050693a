"""Parsing the funding pages' input. Amounts are taken as typed (a comma or a point); the services refuse zero,
negative and finer-than-a-cent amounts with their own messages, so the forms only turn text into numbers."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .funding import MAX_CLAIM_DEADLINE_DAYS, MAX_INSTALMENTS
from .models import FundingRule


class SubAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.description


def _amount_field(label, help_text=""):
    # Two decimals are not enforced here: the service says "at most two decimals" in plain words.
    return forms.DecimalField(label=label, help_text=help_text, max_digits=14, localize=True)


class MoveMoneyForm(forms.Form):
    from_sub = SubAccountChoiceField(label=_("Take the money from"), queryset=None, empty_label=_("Choose a line"))
    to_sub = SubAccountChoiceField(label=_("Move it to"), queryset=None, empty_label=_("Choose a line"))
    amount = _amount_field(_("How much, in euros"))

    def __init__(self, *args, sub_accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_sub"].queryset = sub_accounts
        self.fields["to_sub"].queryset = sub_accounts


class OverspendForm(forms.Form):
    sub_account = SubAccountChoiceField(label=_("Plan line"), queryset=None, empty_label=_("Choose a line"))
    amount = _amount_field(
        _("The line may go over its money by at most, in euros"), _("0 takes the permission away.")
    )
    reason = forms.CharField(
        label=_("Why"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
        help_text=_("Finance and the client's later workers read this."),
    )

    def __init__(self, *args, sub_accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = sub_accounts


class FlexibleForm(forms.Form):
    sub_account = SubAccountChoiceField(label=_("Plan line"), queryset=None, empty_label=_("Choose a line"))
    flexible = forms.TypedChoiceField(
        label=_("Money of the line"),
        choices=[("1", _("may move to and from other flexible lines")), ("0", _("is fixed to its purpose"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, sub_accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = sub_accounts


class FundingRuleForm(forms.Form):
    instalments = forms.IntegerField(
        label=_("Instalments"),
        min_value=1,
        max_value=MAX_INSTALMENTS,
        help_text=_("1 releases the whole budget at once, 4 quarterly, 12 monthly."),
    )
    rollover = forms.BooleanField(label=_("Unused money rolls over to the next instalment"), required=False)
    lines_flexible = forms.BooleanField(label=_("Money may move between plan lines"), required=False)
    no_receipt_allowance = _amount_field(
        _("Spending allowed without receipts in a budget period, in euros"),
        _("Small purchases the client may claim without a receipt. 0 means every purchase needs a receipt."),
    )
    claim_deadline_days = forms.IntegerField(
        label=_("Days to send an invoice after the service"), min_value=1, max_value=MAX_CLAIM_DEADLINE_DAYS
    )
    client_acceptance = forms.BooleanField(label=_("The client accepts each invoice"), required=False)
    staff_approval = forms.BooleanField(label=_("The worker or finance approves each invoice"), required=False)
    warning_percent = forms.IntegerField(
        label=_("Warn when this share of the budget is used (%)"), min_value=1, max_value=100
    )

    FIELDS = (
        "instalments",
        "rollover",
        "lines_flexible",
        "no_receipt_allowance",
        "claim_deadline_days",
        "client_acceptance",
        "staff_approval",
        "warning_percent",
    )

    @classmethod
    def initial_from(cls, rule: FundingRule) -> dict:
        return {name: getattr(rule, name) for name in cls.FIELDS}
