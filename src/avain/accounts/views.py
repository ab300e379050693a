from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from avain.core.periods import Period
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry
from avain.planning import selectors as planning_selectors
from avain.planning.access import case_for_staff
from avain.planning.decision_document import decision_filename, decision_pdf
from avain.planning.forms import PeriodForm
from avain.planning.models import CaseStatus

from . import selectors, services
from .forms import InvoiceForm

WHAT = AccessLogEntry.What


@staff_required(Role.SOCIAL_WORKER)
def case_decision(request, case_id: int):
    """The worker makes the decision that grants the approved plan's budget; the account opens with it."""
    case = case_for_staff(request, case_id, WHAT.DECISION)
    if case.status != CaseStatus.APPROVED:
        if hasattr(case, "decision"):
            return redirect("case_account", case.pk)
        raise Http404
    form = PeriodForm(request.POST or None, initial={"period_start": case.period_start, "period_end": case.period_end})
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_budget(
                case=case,
                decided_by=request.user,
                period=Period(form.cleaned_data["period_start"], form.cleaned_data["period_end"]),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The decision is made and the budget account is open."))
            return redirect("case_account", case.pk)
    plan = case.plans.filter(status="approved").first()
    return render(
        request,
        "accounts/case_decision.html",
        {
            "case": case,
            "client": case.client,
            "form": form,
            "plan": plan,
            "plan_lines": plan.lines.all() if plan else [],
            "budget": planning_selectors.budget_explanation(case),
        },
    )


@staff_required(*CLIENT_DATA_ROLES)
def case_account(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT.ACCOUNT)
    account = getattr(getattr(case, "decision", None), "account", None)
    if account is None:
        raise Http404
    can_record = request.staff.role in (Role.SOCIAL_WORKER, Role.FINANCE) and case.status != CaseStatus.CLOSED
    form = InvoiceForm(request.POST or None, account=account)
    if request.method == "POST" and can_record and form.is_valid():
        try:
            services.record_invoice(account=account, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The invoice is recorded."))
            return redirect("case_account", case.pk)
    return render(
        request,
        "accounts/case_account.html",
        {
            "case": case,
            "client": case.client,
            "balance": selectors.account_balance(account),
            "invoices": selectors.invoices_of(account),
            "form": form if can_record else None,
            # As decided: read from the decision's snapshot, so later price or rule changes never alter it.
            "budget": planning_selectors.decision_budget_explanation(account.decision),
        },
    )


@portal_access(WHAT.ACCOUNT)
def portal_account(request, client):
    account = selectors.account_for_client(client)
    return render(
        request,
        "accounts/portal_account.html",
        {
            "client": client,
            "account": account,
            "balance": selectors.account_balance(account) if account else None,
            "invoices": selectors.invoices_of(account) if account else [],
            "budget": planning_selectors.decision_budget_explanation(account.decision) if account else None,
        },
    )


def _decision_pdf_response(decision) -> HttpResponse:
    response = HttpResponse(decision_pdf(decision), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{decision_filename(decision)}"'
    # The decision holds the client's identity code: no cache on the way may keep a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


@staff_required(*CLIENT_DATA_ROLES)
def case_decision_pdf(request, case_id: int):
    """The decision as the client received it, in the client's language (Finnish or Swedish)."""
    case = case_for_staff(request, case_id, WHAT.DECISION)
    decision = getattr(case, "decision", None)
    if decision is None:
        raise Http404
    return _decision_pdf_response(decision)


@portal_access(WHAT.DECISION)
def portal_decision_pdf(request, client):
    decision = planning_selectors.decision_for_client(client)
    if decision is None:
        raise Http404
    return _decision_pdf_response(decision)
