"""The funding pages: moving money between flexible lines (the client, a delegate with edit access, the worker), the
worker's overspend permission and flexible or fixed lines, the closing statement, and the organiser's funding rule.
Thin views: parsing in ``funding_forms``, writes in ``funding``, reads in ``funding_selectors``."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry, Delegation
from avain.planning.access import case_for_staff

from . import funding
from . import funding_selectors as selectors
from .funding_forms import FlexibleForm, FundingRuleForm, MoveMoneyForm, OverspendForm
from .selectors import account_for_client

WHAT = AccessLogEntry.What
RULE_READERS = (Role.ORGANISER_ADMIN, Role.FINANCE, Role.SOCIAL_WORKER)


@dataclass(frozen=True)
class Place:
    """Whose page this is: the client's portal or the worker's view of the case."""

    back_url: str
    move_url: str
    for_staff: bool
    can_edit: bool
    case: object = None


def _case_account(request, case_id: int, what=WHAT.ACCOUNT):
    case = case_for_staff(request, case_id, what)
    account = getattr(getattr(case, "decision", None), "account", None)
    if account is None:
        raise Http404
    return case, account


def _case_place(case) -> Place:
    return Place(
        back_url=reverse("case_account", args=[case.pk]),
        move_url=reverse("case_move_money", args=[case.pk]),
        for_staff=True,
        can_edit=True,
        case=case,
    )


def _portal_place(request, client) -> Place:
    return Place(
        back_url=reverse("portal_account", args=[client.pk]),
        move_url=reverse("portal_move_money", args=[client.pk]),
        for_staff=False,
        can_edit=request.delegation is None or request.delegation.access == Delegation.Access.EDIT,
    )


# --- Moving money -------------------------------------------------------------------------------------------------


def _move(request, client, account, place: Place):
    lines = selectors.flexible_lines(account) if account else None
    form = MoveMoneyForm(request.POST or None, sub_accounts=lines) if lines is not None else None
    status = 200
    if request.method == "POST":
        if form is None or not place.can_edit:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                funding.move_money(
                    account=account, from_sub=data["from_sub"], to_sub=data["to_sub"], amount=data["amount"], by=request.user
                )
            except ValidationError as error:
                form.add_error("amount" if error.code in AMOUNT_ERRORS else None, error)
            else:
                messages.success(request, _("The money is moved."))
                return redirect(place.move_url)
        status = 400
    return render(
        request,
        "accounts/funding/move.html",
        {
            "client": client,
            "case": place.case,
            "account": account,
            "place": place,
            "form": form,
            "lines": list(selectors.open_lines(account)) if account else [],
            "movable": lines is not None and lines.count() >= 2,
        },
        status=status,
    )


AMOUNT_ERRORS = {"amount_not_positive", "amount_too_precise", "more_than_left", "amount_negative", "overspend_in_use"}
REASON_ERRORS = {"no_reason"}


@portal_access(WHAT.ACCOUNT, edit=True)
def portal_move_money(request, client):
    return _move(request, client, account_for_client(client), _portal_place(request, client))


@staff_required(Role.SOCIAL_WORKER)
def case_move_money(request, case_id: int):
    case, account = _case_account(request, case_id)
    return _move(request, case.client, account, _case_place(case))


# --- The worker's permissions on a line --------------------------------------------------------------------------


@staff_required(Role.SOCIAL_WORKER)
def case_overspend(request, case_id: int):
    """The worker allows a line to go over its money, or marks a line flexible or fixed."""
    case, account = _case_account(request, case_id)
    lines = selectors.open_lines(account)
    action = request.POST.get("action") if request.method == "POST" else None
    overspend_form = OverspendForm(request.POST if action == "overspend" else None, sub_accounts=lines, prefix="over")
    flexible_form = FlexibleForm(request.POST if action == "flexible" else None, sub_accounts=lines, prefix="flex")
    status = 200
    if action == "overspend":
        if overspend_form.is_valid():
            try:
                funding.allow_overspend(
                    sub_account=overspend_form.cleaned_data["sub_account"],
                    amount=overspend_form.cleaned_data["amount"],
                    reason=overspend_form.cleaned_data["reason"],
                    by=request.user,
                )
            except ValidationError as error:
                field = "amount" if error.code in AMOUNT_ERRORS else "reason" if error.code in REASON_ERRORS else None
                overspend_form.add_error(field, error)
            else:
                messages.success(request, _("The permission is saved."))
                return redirect("case_overspend", case.pk)
        status = 400
    elif action == "flexible":
        if flexible_form.is_valid():
            try:
                funding.set_line_flexible(
                    sub_account=flexible_form.cleaned_data["sub_account"],
                    flexible=flexible_form.cleaned_data["flexible"],
                    by=request.user,
                )
            except ValidationError as error:
                flexible_form.add_error(None, error)
            else:
                messages.success(request, _("The line is saved."))
                return redirect("case_overspend", case.pk)
        status = 400
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "accounts/funding/overspend.html",
        {
            "case": case,
            "client": case.client,
            "account": account,
            "lines": list(lines),
            "permissions": list(selectors.overspend_permissions(account)),
            "overspend_form": overspend_form,
            "flexible_form": flexible_form,
        },
        status=status,
    )


# --- The closing statement ------------------------------------------------------------------------------------------


def _closing(request, client, account, *, back_url: str, case=None):
    return render(
        request,
        "accounts/funding/closing.html",
        {
            "client": client,
            "case": case,
            "account": account,
            "statement": selectors.closing_statement(account) if account else None,
            "back_url": back_url,
            "for_staff": case is not None,
        },
    )


@staff_required(*CLIENT_DATA_ROLES)
def case_closing_statement(request, case_id: int):
    case, account = _case_account(request, case_id)
    return _closing(request, case.client, account, back_url=reverse("case_account", args=[case.pk]), case=case)


@portal_access(WHAT.ACCOUNT)
def portal_closing_statement(request, client):
    account = selectors.closed_account_for_client(client)
    return _closing(request, client, account, back_url=reverse("portal_account", args=[client.pk]))


# --- The organiser's funding rule -------------------------------------------------------------------------------


@staff_required(*RULE_READERS)
def funding_rule(request):
    """How budgets are funded: the organiser administrator changes it, finance and social workers read it."""
    can_change = request.staff.role == Role.ORGANISER_ADMIN
    if request.method == "POST" and not can_change:
        raise PermissionDenied
    organiser = request.staff.organiser
    rule = selectors.funding_rule(organiser.pk)
    form = FundingRuleForm(request.POST or None, initial=FundingRuleForm.initial_from(rule)) if can_change else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                funding.set_funding_rule(organiser=organiser, actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(RULE_ERROR_FIELDS.get(error.code), error)
            else:
                messages.success(request, _("The funding rule is saved. It applies to budgets granted from now on."))
                return redirect("funding_rule")
        status = 400
    return render(
        request,
        "accounts/funding/rule.html",
        {"organiser": organiser, "rule": rule, "form": form},
        status=status,
    )


RULE_ERROR_FIELDS = {
    "instalments_out_of_range": "instalments",
    "amount_negative": "no_receipt_allowance",
    "amount_too_precise": "no_receipt_allowance",
    "claim_deadline_out_of_range": "claim_deadline_days",
    "warning_percent_out_of_range": "warning_percent",
}
