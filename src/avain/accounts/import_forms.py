from django import forms
from django.utils.translation import gettext_lazy as _

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
