from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from avain.people.models import TargetGroup

from .models import Area, ProviderKind, ServiceCategory, ServiceLanguage, ServiceUnit
from .price_file import MAX_FILE_BYTES


class PriceListFileForm(forms.Form):
    file = forms.FileField(
        label=_("Price list file"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file, at most 5 MB. The first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is too large: a price list can be at most %(limit)s MB."),
                code="file_too_large",
                params={"limit": MAX_FILE_BYTES // (1024 * 1024)},
            )
        return upload


class PriceListFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All categories")), *ServiceCategory.choices]
    )


# --- Providers, their products and the service menu ---------------------------------------------------------------


class ProviderRegistrationForm(forms.Form):
    name = forms.CharField(label=_("Name of the organisation or company"), max_length=200)
    business_id = forms.CharField(
        label=_("Business ID (Y-tunnus)"), max_length=9, help_text=_("For example 1234567-8.")
    )
    kind = forms.ChoiceField(label=_("Kind of provider"), choices=ProviderKind.choices)
    iban = forms.CharField(
        label=_("Bank account (IBAN)"), max_length=42, help_text=_("Payments for your invoices go to this account.")
    )
    email = forms.EmailField(label=_("E-mail"), help_text=_("You sign in with this address."))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas you serve"), queryset=Area.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    languages = forms.ModelMultipleChoiceField(
        label=_("Languages you serve in"),
        queryset=ServiceLanguage.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    contact_first_name = forms.CharField(label=_("Your first name"), max_length=150)
    contact_last_name = forms.CharField(label=_("Your last name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput(render_value=False), strip=False)
    password_again = forms.CharField(
        label=_("Password again"), widget=forms.PasswordInput(render_value=False), strip=False
    )

    def __init__(self, *args, organiser_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.filter(organiser_id=organiser_id)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The passwords are not the same."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you refuse or return: the provider reads it."),
    )


class ProductForm(forms.Form):
    name = forms.CharField(label=_("Name of the service"), max_length=120)
    summary = forms.CharField(
        label=_("The service in one sentence"),
        max_length=200,
        help_text=_("Plain words, as you would say it to the client."),
    )
    description = forms.CharField(
        label=_("What the client gets"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happens, who does it, how long it takes. Avoid abbreviations and jargon."),
    )
    category = forms.ChoiceField(label=_("Kind of support"), choices=ServiceCategory.choices)
    unit = forms.ChoiceField(label=_("Priced per"), choices=ServiceUnit.choices)
    unit_price = forms.DecimalField(
        label=_("Price per unit in euros, VAT included"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
        localize=True,
    )
    target_groups = forms.MultipleChoiceField(
        label=_("For whom"), choices=TargetGroup.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    where = forms.CharField(label=_("Where"), max_length=300, help_text=_("An address, the client's home, or online."))
    when = forms.CharField(label=_("When"), max_length=300, help_text=_("Days and times, or “as agreed”."))
    accessibility = forms.CharField(
        label=_("Accessibility"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example step-free access, an induction loop, easy-to-read material."),
    )
    areas = forms.ModelMultipleChoiceField(
        label=_("Areas"), queryset=Area.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    languages = forms.ModelMultipleChoiceField(
        label=_("Languages"), queryset=ServiceLanguage.objects.all(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, organiser_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = Area.objects.filter(organiser_id=organiser_id)


# "Matches my needs" narrows the menu to the kinds of support in the client's needs assessment.
MY_NEEDS = "mine"


class MenuSearchForm(forms.Form):
    text = forms.CharField(label=_("Search words"), required=False, max_length=100)
    need = forms.ChoiceField(label=_("Kind of support"), required=False)
    area = forms.ModelChoiceField(label=_("Area"), queryset=Area.objects.none(), required=False, empty_label=_("All areas"))
    language = forms.ModelChoiceField(
        label=_("Language of the service"),
        queryset=ServiceLanguage.objects.all(),
        required=False,
        empty_label=_("All languages"),
    )
    max_price = forms.DecimalField(
        label=_("Price per unit at most (€)"), required=False, max_digits=12, decimal_places=2, min_value=Decimal(0),
        localize=True,
    )
    provider_kind = forms.ChoiceField(
        label=_("Provider"), required=False, choices=[("", _("All providers")), *ProviderKind.choices]
    )

    def __init__(self, *args, organiser_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = Area.objects.filter(organiser_id=organiser_id)
        self.fields["need"].choices = [
            ("", _("All kinds of support")),
            (MY_NEEDS, _("What matches my needs")),
            *ServiceCategory.choices,
        ]


class AreaForm(forms.Form):
    name_fi = forms.CharField(label=_("Name in Finnish"), max_length=100)
    name_sv = forms.CharField(label=_("Name in Swedish"), max_length=100)
    name_en = forms.CharField(label=_("Name in English"), max_length=100)
