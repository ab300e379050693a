from django import forms
from django.utils.translation import gettext_lazy as _

from avain.core import clock

from .models import MAX_TEXT, Topic


class DateInput(forms.DateInput):
    input_type = "date"


class DiaryEntryForm(forms.Form):
    written_on = forms.DateField(label=_("Date"), widget=DateInput)
    prompt = forms.ModelChoiceField(
        label=_("Question to help you write (optional)"), queryset=None, required=False, empty_label=_("No question")
    )
    text = forms.CharField(label=_("Diary entry"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, prompts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["written_on"].initial = clock.today()
        self.fields["prompt"].queryset = prompts
        if not prompts.exists():
            del self.fields["prompt"]


class FeedbackForm(forms.Form):
    topic = forms.ChoiceField(label=_("What is it about?"), choices=[("", "—"), *Topic.choices])
    text = forms.CharField(
        label=_("Your feedback or idea"),
        help_text=_("Tell what works, what does not, or how things could be done better."),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer to the client"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 5}))


class PromptForm(forms.Form):
    text_fi = forms.CharField(label=_("Question in Finnish"), max_length=300)
    text_sv = forms.CharField(label=_("Question in Swedish"), max_length=300)
    text_en = forms.CharField(label=_("Question in English"), max_length=300)
