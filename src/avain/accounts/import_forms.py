from django import forms
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Provider, RegistrationStatus

from .imports import MAX_FILE_BYTES, MAX_FILE_MB


class InvoiceFileForm(forms.Form):
    file = forms.FileField(
        label=_("Invoice file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,.csv,text/xml,application/xml,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Interpolated here, per request, so that it is in the reader's language.
        self.fields["file"].help_text = _("A Finvoice invoice (.xml) or a CSV file (.csv), at most %(limit)s MB.") % {
            "limit": MAX_FILE_MB
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # Refused before a byte of it is read into memory.
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit_mb)s MB. Split it into smaller files and send them one at a time."),
                code="file_too_large",
                params={"limit_mb": MAX_FILE_MB},
            )
        return upload

    def content(self) -> bytes:
        return b"".join(self.cleaned_data["file"].chunks())


class StaffInvoiceFileForm(InvoiceFileForm):
    """Finance imports a file a provider sent another way (an e-invoice operator's delivery, an e-mail): the same
    checks as the provider's own upload, against the provider chosen here. A Finvoice invoice from another business ID
    than the chosen provider's is refused, so a wrong choice posts nothing."""

    provider = forms.ModelChoiceField(
        label=_("Provider"), queryset=Provider.objects.none(), empty_label=_("Choose the provider")
    )

    field_order = ["provider", "file"]

    def __init__(self, *args, organiser_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.filter(
            organiser_id=organiser_id, status=RegistrationStatus.APPROVED
        ).order_by("name", "pk")
