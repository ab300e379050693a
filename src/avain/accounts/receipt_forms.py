"""Parsing the receipt and invoice forms. The checks of money, dates and files are the services' (``receipts.py``,
``invoices.py``): the forms only turn the posted text into values."""

from django import forms
from django.utils.translation import gettext_lazy as _

from avain.core.templatetags.avain import euros

from .models import SubAccount


class PlanLineChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SubAccount) -> str:
        return _("%(line)s (%(left)s left)") % {"line": obj.description, "left": euros(obj.left)}


class ReceiptForm(forms.Form):
    sub_account = PlanLineChoiceField(
        label=_("Plan line"),
        queryset=SubAccount.objects.none(),
        empty_label=_("Choose a line of your plan"),
        help_text=_("The line of your plan the purchase is paid from. You see how much is left on each line."),
    )
    purchase_date = forms.DateField(
        label=_("Date of purchase"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The date on the receipt."),
    )
    amount = forms.DecimalField(
        label=_("Amount in euros"),
        max_digits=12,
        localize=True,
        help_text=_("What you paid, for example 12,50."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("What you bought"),
        max_length=200,
        help_text=_("For example: swimming hall ticket, taxi to the day centre."),
    )
    payee_iban = forms.CharField(
        label=_("Your bank account (IBAN)"),
        max_length=42,
        help_text=_("The money is paid back to this account."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    attachment = forms.FileField(
        label=_("Photo or PDF of the receipt"),
        required=False,
        help_text=_("A photo (JPEG or PNG) or a PDF, at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )
    without_receipt = forms.BooleanField(
        label=_("I have no receipt"),
        required=False,
        widget=forms.CheckboxInput(attrs={"aria-describedby": "no-receipt-hint"}),
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = SubAccount.objects.filter(
            organiser_id=account.organiser_id, account=account, is_open=True
        ).order_by("pk")


class InvoiceDecisionForm(forms.Form):
    """Accept, approve or reject one invoice of a list; the reason is needed only to reject."""

    invoice = forms.IntegerField(widget=forms.HiddenInput)
    action = forms.ChoiceField(
        choices=[("accept", "accept"), ("approve", "approve"), ("reject", "reject")], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
