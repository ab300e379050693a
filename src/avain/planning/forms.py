from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from avain.catalogue.models import Service

from .models import ApprovalRule, Frequency, Rounding, SupportPlan


class PeriodForm(forms.Form):
    period_start = forms.DateField(label=_("Budget period starts"), widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=_("Budget period ends"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the client chose ordinary services (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the HB ends"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write why the HB ends.")},
        help_text=_("For example: the budget period is over, or the client no longer needs the support."),
    )


class NeedsForm(forms.Form):
    wishes = forms.CharField(label=_("What the client wants from life"), required=False, widget=forms.Textarea)
    needs_summary = forms.CharField(
        label=_("What help and support the client needs"), required=False, widget=forms.Textarea
    )


def _positive(value: Decimal | None) -> Decimal | None:
    if value is not None and value <= 0:
        raise forms.ValidationError(_("The quantity must be more than zero."), code="quantity_not_positive")
    return value


class NeedLineForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=9, decimal_places=2, localize=True, validators=[_positive]
    )
    # Not required: a form sent without it (an older page, a script) counts the quantity over the whole period.
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, required=False, initial=Frequency.PERIOD
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, organiser_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.filter(organiser_id=organiser_id).order_by("code")

    def clean_frequency(self) -> str:
        return self.cleaned_data.get("frequency") or Frequency.PERIOD


NeedLineFormSet = forms.formset_factory(NeedLineForm, extra=2, can_delete=True)


class PlanForm(forms.ModelForm):
    class Meta:
        model = SupportPlan
        fields = list(SupportPlan.ANSWER_FIELDS)
        widgets = {field: forms.Textarea(attrs={"rows": 3}) for field in SupportPlan.ANSWER_FIELDS}


def _amount_positive(value: Decimal | None) -> Decimal | None:
    if value is not None and value <= 0:
        raise forms.ValidationError(_("The amount must be more than zero euros."), code="amount_not_positive")
    return value


class PlanLineForm(forms.Form):
    description = forms.CharField(label=_("What I use the money for"), max_length=200)
    amount = forms.DecimalField(
        label=_("Euros"), max_digits=12, decimal_places=2, localize=True, validators=[_amount_positive]
    )
    # Keeps a line chosen from the service menu tied to its product; the service checks the product.
    product = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Keeps a line tied to the line of the earlier version it continues, so the comments on that one show here.
    copied_from = forms.IntegerField(required=False, widget=forms.HiddenInput)


PlanLineFormSet = forms.formset_factory(PlanLineForm, extra=2, can_delete=True)


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comments to the client"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "When you return the plan, write what the client should change: here, on the lines below, or both."
        ),
    )

    LINE_PREFIX = "line_"

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        for line in lines:
            self.fields[f"{self.LINE_PREFIX}{line.pk}"] = forms.CharField(
                label=_("Comment on the line “%(line)s”") % {"line": line.description},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def general_fields(self):
        return [self[name] for name in self.fields if not name.startswith(self.LINE_PREFIX)]

    def line_fields(self):
        return [self[name] for name in self.fields if name.startswith(self.LINE_PREFIX)]

    def line_comments(self) -> dict[int, str]:
        return {
            int(name.removeprefix(self.LINE_PREFIX)): text
            for name, text in self.cleaned_data.items()
            if name.startswith(self.LINE_PREFIX) and text.strip()
        }


class ReturnFromApprovalForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the plan is returned to the client"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed only when you return the plan."),
    )


class ApprovalRuleForm(forms.Form):
    rule = forms.ChoiceField(
        label=_("Who approves the support plans"), choices=ApprovalRule.choices, widget=forms.RadioSelect
    )


class MeetingForm(forms.Form):
    """A meeting of the management group; the decision on each waiting plan is read by the view."""

    held_on = forms.DateField(label=_("Date of the meeting"), widget=forms.DateInput(attrs={"type": "date"}))
    members = forms.CharField(
        label=_("Members present"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write who took part in the meeting.")},
    )
    minutes = forms.CharField(label=_("Minutes (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class BudgetRuleForm(forms.Form):
    """Parses the rule only; ``services.add_budget_rule`` judges it, so the page shows the same messages as any caller."""

    valid_from = forms.DateField(label=_("Valid from"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(
        label=_("Valid to (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty if the rule is in force until further notice."),
    )
    percentage = forms.DecimalField(
        label=_("Percentage of the services' value"), localize=True, initial=Decimal(100)
    )
    cap = forms.DecimalField(
        label=_("Upper limit of the budget in euros (optional)"),
        localize=True,
        required=False,
        help_text=_("Leave empty if the budget has no upper limit."),
    )
    rounding = forms.ChoiceField(label=_("Rounding of the budget"), choices=Rounding.choices, initial=Rounding.CENT)
    free_form_share = forms.DecimalField(
        label=_("Share of the budget for purposes outside the service menu (%)"),
        localize=True,
        initial=Decimal(100),
        help_text=_(
            "How much of the budget the client may plan for things in their own words, such as a gym card, a course "
            "or help from a neighbour. 100 allows the whole budget, 0 allows only the service menu."
        ),
    )
    free_form_share = forms.DecimalField(
        label=_("Share of the budget for purposes outside the service menu (%)"),
        localize=True,
        initial=Decimal(100),
        help_text=_(
            "How much of the budget the client may plan for things in their own words, such as a gym card, a course "
            "or help from a neighbour. 100 allows the whole budget, 0 allows only the service menu."
        ),
    )


class EndBudgetRuleForm(forms.Form):
    valid_to = forms.DateField(label=_("Last day of the rule"), widget=forms.DateInput(attrs={"type": "date"}))


class AddProductForm(forms.Form):
    quantity = forms.DecimalField(
        label=_("How much do you plan to use?"),
        max_digits=9,
        decimal_places=2,
        localize=True,
        validators=[_positive],
    )

    def __init__(self, *args, product, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quantity"].help_text = _("Counted per %(unit)s. One %(unit)s costs %(price)s €.") % {
            "unit": product.get_unit_display(),
            "price": formats.number_format(product.unit_price, 2, use_l10n=True, force_grouping=True),
        }
