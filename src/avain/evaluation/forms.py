from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ItemKind
from .services import MAX_TEXT


def answer_form(items, data=None, initial=None) -> forms.Form:
    """A form with one field per item (named by its code). Nothing is required here: the client may save part of
    the answers and continue later; ``complete_measurement`` checks the required ones when the answers are sent."""
    fields = {}
    for item in items:
        if item.kind == ItemKind.SCALE:
            fields[item.code] = forms.TypedChoiceField(
                label=item.text,
                choices=[(n, str(n)) for n in range(item.scale_min, item.scale_max + 1)],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        elif item.kind == ItemKind.CHOICE:
            fields[item.code] = forms.ChoiceField(
                label=item.text,
                choices=[(c["value"], item.choice_label(c["value"])) for c in item.choices],
                required=False,
                widget=forms.RadioSelect,
            )
        else:
            fields[item.code] = forms.CharField(
                label=item.text, required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
            )
    form_class = type("AnswerForm", (forms.Form,), fields)
    return form_class(data, initial=initial)


class ControlFollowUpForm(forms.Form):
    start = forms.DateField(label=_("Follow-up starts"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Follow-up ends"), widget=forms.DateInput(attrs={"type": "date"}))


class InstrumentUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Questionnaire file (JSON)"),
        help_text=_("The format is described in the documentation. A code you already have becomes a new version."),
    )
