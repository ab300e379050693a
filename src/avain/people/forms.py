from django import forms
from django.utils.translation import gettext_lazy as _

from avain.core.validators import validate_personal_identity_code

from .models import Language, TargetGroup


class ClientForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    personal_identity_code = forms.CharField(
        label=_("Personal identity code"),
        max_length=11,
        help_text=_("For example 131052-308T."),
        validators=[validate_personal_identity_code],
    )
    language = forms.ChoiceField(label=_("Language of service"), choices=Language.choices)
    target_group = forms.ChoiceField(label=_("Target group"), choices=TargetGroup.choices)


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=_("Search by name"), required=False, max_length=100)
