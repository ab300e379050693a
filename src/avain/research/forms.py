from django import forms
from django.utils.translation import gettext_lazy as _

from avain.organisations.models import Organiser

from .models import ConsentScope, Study, StudyDesign


class ConsentForm(forms.Form):
    study = forms.ModelChoiceField(
        label=_("Research the consent covers"),
        queryset=Study.objects.none(),
        required=False,
        empty_label=_("All research of the organiser"),
    )
    scopes = forms.MultipleChoiceField(
        label=_("The client agrees to research use of"),
        choices=ConsentScope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing the consent covers.")},
    )
    given_on = forms.DateField(label=_("Consent given on"), help_text=_("The date on the signed consent form."))

    def __init__(self, *args, studies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if studies is not None:
            self.fields["study"].queryset = studies


class StudyForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Letters, numbers and hyphens, e.g. hb-2026."))
    name = forms.CharField(label=_("Name"), max_length=200)
    design = forms.ChoiceField(label=_("Design"), choices=StudyDesign.choices, widget=forms.RadioSelect)
    starts_on = forms.DateField(label=_("Study period starts"))
    ends_on = forms.DateField(label=_("Study period ends"))
    other_organisers = forms.ModelMultipleChoiceField(
        label=_("Other organisers taking part"),
        queryset=Organiser.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owner is not None:
            self.fields["other_organisers"].queryset = Organiser.objects.exclude(pk=owner.pk)


class ServiceUseUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file of service use"),
        help_text=_("Columns: service_code, date, quantity and personal_identity_code or client_number."),
    )
