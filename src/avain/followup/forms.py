from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _


def _date_field(label):
    return forms.DateField(
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Give the date."), "invalid": _("Give the date as day.month.year.")},
    )


class _MeetingChoiceForm(forms.Form):
    """A form about one of the case's planned meetings, chosen from a list."""

    meeting = forms.TypedChoiceField(label=_("Meeting"), coerce=int)

    def __init__(self, *args, meetings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].choices = [(m.pk, date_format(m.scheduled_on, "SHORT_DATE_FORMAT")) for m in meetings]


class AddMeetingForm(forms.Form):
    day = _date_field(_("Date of the new meeting"))


class MoveMeetingForm(_MeetingChoiceForm):
    day = _date_field(_("New date"))


class CancelMeetingForm(_MeetingChoiceForm):
    reason = forms.CharField(label=_("Why it is cancelled (optional)"), required=False, max_length=300)


class OutcomeForm(_MeetingChoiceForm):
    how_it_worked = forms.CharField(
        label=_("How has the plan worked?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write how the plan has worked.")},
        help_text=_("In plain words, as you agreed with the client. The client reads this in their portal."),
    )
    plan_changes = forms.BooleanField(
        label=_("The plan changes: the client will make a plan change"), required=False
    )
    ends_hb = forms.BooleanField(
        label=_("The client wants to end HB and return to ordinary services: close the HB now"), required=False
    )
    end_reason = forms.CharField(
        label=_("Why the HB ends (when it ends)"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
