from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Provider
from avain.planning.models import PlanLine


def _amount_positive(value: Decimal | None) -> Decimal | None:
    if value is not None and value <= 0:
        raise forms.ValidationError(_("The amount must be more than zero euros."), code="amount_not_positive")
    return value


class InvoiceForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.none())
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=40)
    plan_line = forms.ModelChoiceField(label=_("Plan line"), queryset=PlanLine.objects.none())
    service_date = forms.DateField(label=_("Service date"), widget=forms.DateInput(attrs={"type": "date"}))
    amount = forms.DecimalField(
        label=_("Amount in euros"), max_digits=12, decimal_places=2, localize=True, validators=[_amount_positive]
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.filter(organiser_id=account.organiser_id).order_by("name")
        self.fields["plan_line"].queryset = PlanLine.objects.filter(
            organiser_id=account.organiser_id, plan_id=account.decision.plan_id
        )
