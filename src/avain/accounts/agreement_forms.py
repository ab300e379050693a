"""Parsing the agreement pages' and the provider's invoice form. The services judge what is parsed
(``agreements.make_agreement``, ``posting.post_provider_invoices``), so every page shows the same messages as any
other caller."""

import datetime as dt
from decimal import Decimal

from django import forms
from django.utils.translation import gettext, gettext_lazy as _

from avain.catalogue.models import Provider, ServiceUnit
from avain.core.formatting import money_text
from avain.core.money import round_money

from .models import Agreement, SubAccount

ISO_DATE = "%Y-%m-%d"  # what <input type="date"> sends and shows, whatever the page's language


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)



class SubAccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, sub: SubAccount) -> str:
        return gettext("%(line)s (%(left)s € left)") % {"line": sub.description, "left": money_text(sub.left)}


class AgreementForm(forms.Form):
    sub_account = SubAccountChoiceField(label=_("Plan line the money comes from"), queryset=SubAccount.objects.none())
    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.none())
    service = forms.CharField(label=_("Service"), max_length=200, help_text=_("For example “cleaning every other week”."))
    unit = forms.ChoiceField(
        label=_("Priced per"), choices=[("", _("no unit: an amount in euros")), *ServiceUnit.choices], required=False
    )
    unit_price = forms.DecimalField(label=_("Price per unit in euros"), max_digits=12, decimal_places=2, localize=True)
    quantity = forms.DecimalField(
        label=_("Quantity (optional)"),
        max_digits=10,
        decimal_places=2,
        localize=True,
        required=False,
        help_text=_("Give either the quantity or the amount. With a quantity, the amount is quantity × price."),
    )
    amount = forms.DecimalField(
        label=_("At most, euros (optional)"), max_digits=12, decimal_places=2, localize=True, required=False
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=_date_input())
    valid_until = forms.DateField(label=_("Valid until"), widget=_date_input())

    def __init__(self, *args, sub_accounts, providers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = sub_accounts
        self.fields["provider"].queryset = providers

    def clean(self):
        data = super().clean()
        quantity, amount = data.get("quantity"), data.get("amount")
        if "quantity" in data and "amount" in data and (quantity is None) == (amount is None):
            raise forms.ValidationError(
                _("Give either the quantity or the amount in euros, not both."), code="quantity_or_amount"
            )
        return data


class EndAgreementForm(forms.Form):
    number = forms.ChoiceField(label=_("Agreement to end"))

    def __init__(self, *args, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreements = {agreement.number: agreement for agreement in agreements}
        self.fields["number"].choices = [
            (a.number, f"{a.number} · {a.service} · {a.provider.name}") for a in self.agreements.values()
        ]

    @property
    def agreement(self) -> Agreement:
        return self.agreements[self.cleaned_data["number"]]


class InvoiceHeadForm(forms.Form):
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=40)
    invoice_date = forms.DateField(label=_("Invoice date"), widget=_date_input())
    due_date = forms.DateField(label=_("Due date"), widget=_date_input())

    def clean(self):
        data = super().clean()
        if data.get("invoice_date") and data.get("due_date") and data["due_date"] < data["invoice_date"]:
            self.add_error("due_date", forms.ValidationError(_("The due date cannot be before the invoice date."), code="due_before_date"))
        return data


class InvoiceLineForm(forms.Form):
    # The agreement is shown as a list of the provider's agreements in force, but the value is not limited to that
    # list: whatever number arrives goes to posting, which refuses an unknown or ended agreement with its own
    # message on that line, exactly as for a file.
    agreement = forms.CharField(label=_("Agreement"), max_length=20, required=False, widget=forms.Select)
    service_date = forms.DateField(label=_("Service date"), widget=_date_input(), required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=10, decimal_places=2, localize=True, required=False)
    unit_price = forms.DecimalField(
        label=_("Price per unit, €"), max_digits=12, decimal_places=2, localize=True, required=False
    )
    amount = forms.DecimalField(label=_("Amount, €"), max_digits=12, decimal_places=2, localize=True, required=False)

    def __init__(self, *args, agreement_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreement"].widget.choices = [("", "–"), *agreement_choices]

    @property
    def is_blank(self) -> bool:
        return not any(self.data.get(self.add_prefix(name), "").strip() for name in self.fields)

    def clean(self):
        data = super().clean()
        if self.is_blank:
            return data
        for name in ("agreement", "service_date", "quantity"):
            if name not in self.errors and data.get(name) in (None, ""):  # a quantity of 0 is given: posting refuses it
                self.add_error(name, forms.ValidationError(_("Fill this in, or leave the whole line empty."), code="required"))
        return data

    def priced(self, agreed_price: Decimal | None) -> tuple[Decimal, Decimal]:
        """The line's unit price (the agreed one when left empty) and amount (quantity × price when left empty)."""
        data = self.cleaned_data
        price = data.get("unit_price")
        if price is None:
            price = agreed_price if agreed_price is not None else Decimal("0.00")
        amount = data.get("amount")
        if amount is None:
            amount = round_money(data["quantity"] * price)
        return price, amount


MAX_INVOICE_LINES = 10


def invoice_line_forms(data, agreement_choices) -> list[InvoiceLineForm]:
    return [
        InvoiceLineForm(data, prefix=f"line-{n}", agreement_choices=agreement_choices)
        for n in range(1, MAX_INVOICE_LINES + 1)
    ]


def default_invoice_dates(today: dt.date) -> dict:
    return {"invoice_date": today, "due_date": today + dt.timedelta(days=14)}
