from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ServiceCategory
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
