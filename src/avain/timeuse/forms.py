from django import forms
from django.utils.translation import gettext_lazy as _

from avain.core import clock

from .models import MAX_MINUTES, Activity, TimeRole


class DateInput(forms.DateInput):
    input_type = "date"


class TimeEntryForm(forms.Form):
    on = forms.DateField(label=_("Date"), widget=DateInput)
    activity = forms.ChoiceField(label=_("What did you do?"), choices=[("", "—"), *Activity.choices])
    minutes = forms.IntegerField(
        label=_("Time in minutes"), help_text=_("For example 90 for an hour and a half."), min_value=1, max_value=MAX_MINUTES
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = clock.today()
        if clients is not None:
            self.fields["client"] = forms.ModelChoiceField(
                label=_("Whose HB was the time for?"),
                queryset=clients,
                required=False,
                empty_label=_("General HB work, not for one client"),
            )
            self.order_fields(["on", "client", "activity", "minutes", "note"])


class SamplingPeriodForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    sample_size = forms.IntegerField(
        label=_("Number of clients drawn at random (optional)"),
        help_text=_("Leave empty to record time for all clients."),
        required=False,
        min_value=1,
    )


class CostRateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *TimeRole.choices])
    euros_per_hour = forms.DecimalField(
        label=_("Euros per hour"), min_value=0, max_digits=8, decimal_places=2, localize=True
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(
        label=_("Valid to (optional)"), help_text=_("Leave empty if the rate is valid until further notice."),
        required=False, widget=DateInput,
    )
