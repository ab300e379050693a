from django import forms
from django.utils.translation import gettext_lazy as _

from avain.core.validators import validate_personal_identity_code

from .models import Delegation, Language, TargetGroup


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


class CloseOneForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, error_messages={"required": _("Write the name of the person.")}
    )
    relationship = forms.CharField(
        label=_("Who they are to you"),
        max_length=100,
        help_text=_("For example sister, neighbour or friend."),
        error_messages={"required": _("Write who the person is to you, for example sister or friend.")},
    )
    helps_with = forms.CharField(
        label=_("What they help you with"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example shopping, going to the swimming pool or filling in forms. You can leave this empty."),
    )


class _Radios(forms.RadioSelect):
    """Radio buttons whose field label points at the first button, so the error summary's link has a target."""

    def id_for_label(self, id_, index="0"):
        return forms.widgets.ChoiceWidget.id_for_label(self, id_, index)


class DelegationForm(forms.Form):
    """The client lets one of the candidates (``network_of(client)["candidates"]``) read, or also edit."""

    ACCESS_CHOICES = [
        (
            Delegation.Access.READ,
            _("Read: they can see your plan and your budget, but they cannot change anything."),
        ),
        (
            Delegation.Access.EDIT,
            _("Read and edit: they can also write your plan with you and send it to your social worker."),
        ),
    ]

    person = forms.TypedChoiceField(
        label=_("Who may help"),
        coerce=int,
        error_messages={
            "required": _("Choose who may help you."),
            "invalid_choice": _("Choose one of the people in the list."),
        },
    )
    access = forms.ChoiceField(
        label=_("What they may do"),
        choices=ACCESS_CHOICES,
        widget=_Radios,
        error_messages={
            "required": _("Choose whether they may only read or also edit."),
            "invalid_choice": _("Choose whether they may only read or also edit."),
        },
    )

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {user.pk: user for user, _close_one in candidates}
        self.fields["person"].choices = [("", _("Choose a person"))] + [
            (user.pk, candidate_label(user, close_one)) for user, close_one in candidates
        ]


def candidate_label(user, close_one) -> str:
    """A person as the client knows them: the name and relationship from the network map, or an HB assistant."""
    if close_one is not None:
        return f"{close_one.name} ({close_one.relationship})"
    return f"{user.get_full_name() or user.username} ({_('HB assistant')})"


class ChosenRowForm(forms.Form):
    """Which row a remove or withdraw button is about; a missing or broken id reads as "already gone"."""

    row = forms.IntegerField(min_value=1)
