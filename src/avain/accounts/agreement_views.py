"""Agreements and the provider's typed invoices.

The client (or a delegate with edit access) and the client's social worker make and end agreements on the client's
budget account; the provider sees its own agreements and types invoices under them. Making and ending go through
``agreements.py``, invoices through ``posting.post_provider_invoices``: the same checks and messages as for files.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from avain.catalogue.access import provider_required
from avain.catalogue.models import Provider, RegistrationStatus
from avain.core import clock
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry, Delegation
from avain.people.services import log_list_access
from avain.planning.access import case_for_staff

from . import selectors
from .agreement_selectors import (
    ProviderAgreementRow,
    agreed_prices,
    agreements_of,
    approved_providers,
    open_sub_accounts,
    provider_agreement_rows,
    provider_invoices,
    unit_name,
)
from .agreement_forms import (
    AgreementForm,
    EndAgreementForm,
    InvoiceHeadForm,
    default_invoice_dates,
    invoice_line_forms,
)
from .agreements import end_agreement, make_agreement
from .models import AgreementStatus, BudgetAccount, InvoiceSource, SubAccount
from .posting import InvoiceClaim, LineClaim, post_provider_invoices

WHAT = AccessLogEntry.What


# --- The client's and the worker's pages ------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where the agreement pages of one account live and who is looking: the client's portal or the worker's case."""

    list_url: str
    new_url: str
    end_url: str
    can_edit: bool
    for_staff: bool
    case: object = None


def _portal_place(request, client) -> Place:
    args = [client.pk]
    return Place(
        list_url=reverse("portal_agreements", args=args),
        new_url=reverse("portal_agreement_new", args=args),
        end_url=reverse("portal_agreement_end", args=args),
        can_edit=request.delegation is None or request.delegation.access == Delegation.Access.EDIT,
        for_staff=False,
    )


def _case_place(case) -> Place:
    args = [case.pk]
    return Place(
        list_url=reverse("case_agreements", args=args),
        new_url=reverse("case_agreement_new", args=args),
        end_url=reverse("case_agreement_end", args=args),
        can_edit=True,
        for_staff=True,
        case=case,
    )


def _case_account(request, case_id: int):
    case = case_for_staff(request, case_id, WHAT.ACCOUNT)
    account = getattr(getattr(case, "decision", None), "account", None)
    if account is None:
        raise Http404
    return case, account


def _context(client, account, place: Place, **extra) -> dict:
    return {"client": client, "account": account, "place": place, "case": place.case, **extra}


def _agreement_list(request, client, account, place: Place):
    agreements = list(agreements_of(account)) if account else []
    for agreement in agreements:
        agreement.unit_name = unit_name(agreement.unit)
    made = request.GET.get("made", "")
    return render(
        request,
        "accounts/agreements/list.html",
        _context(
            client,
            account,
            place,
            agreements=agreements,
            made=next((a for a in agreements if a.number == made), None),
            lines=list(open_sub_accounts(account)) if account else [],
            has_active=any(a.status == AgreementStatus.ACTIVE for a in agreements),
        ),
    )


def _suggestion(account: BudgetAccount, sub: SubAccount | None) -> dict:
    """What the form starts from: valid from today (within the budget period) to the period's end; for a plan line
    chosen from the service menu, that product's provider, name, unit and price."""
    today = clock.today()
    initial = {
        "valid_from": min(max(today, account.period_start), account.period_end),
        "valid_until": account.period_end,
    }
    if sub is None:
        return initial
    initial["sub_account"] = sub.pk
    product = sub.plan_line.product
    if product is not None:
        initial.update(service=product.name, unit=product.unit, unit_price=product.unit_price)
        if product.provider.status == RegistrationStatus.APPROVED:
            initial["provider"] = product.provider_id
    return initial


def _agreement_new(request, client, account, place: Place):
    if account is None:
        return render(request, "accounts/agreements/new.html", _context(client, account, place, form=None))
    subs = open_sub_accounts(account)
    line = request.GET.get("line", "")
    chosen = subs.filter(pk=int(line)).first() if line.isdigit() else None
    form = AgreementForm(
        request.POST or None,
        initial=_suggestion(account, chosen),
        sub_accounts=subs,
        providers=approved_providers(account.organiser_id),
    )
    if request.method == "POST" and place.can_edit and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = make_agreement(
                sub_account=data["sub_account"],
                provider=data["provider"],
                service=data["service"],
                unit=data["unit"],
                unit_price=data["unit_price"],
                quantity=data["quantity"],
                amount=data["amount"],
                valid_from=data["valid_from"],
                valid_until=data["valid_until"],
                made_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(f"{place.list_url}?{urlencode({'made': agreement.number})}")
    return render(
        request,
        "accounts/agreements/new.html",
        _context(client, account, place, form=form if subs.exists() else None, chosen=chosen),
        # A POST that made nothing is refused, so a script or a test can tell.
        status=400 if request.method == "POST" else 200,
    )


def _agreement_end(request, client, account, place: Place):
    active = list(agreements_of(account).filter(status=AgreementStatus.ACTIVE)) if account else []
    number = request.GET.get("number", "")
    form = EndAgreementForm(request.POST or None, initial={"number": number}, agreements=active)
    if request.method == "POST" and place.can_edit and form.is_valid():
        agreement = end_agreement(agreement=form.agreement, ended_by=request.user)
        messages.success(
            request,
            _("Agreement %(number)s has ended. %(released)s € that was not used is back on the plan line.")
            % {
                "number": agreement.number,
                "released": formats.number_format(agreement.remaining, 2, use_l10n=True, force_grouping=True),
            },
        )
        return redirect(place.list_url)
    return render(
        request,
        "accounts/agreements/end.html",
        _context(client, account, place, form=form, chosen=form.agreements.get(number), active=active),
        status=400 if request.method == "POST" else 200,
    )


@portal_access(WHAT.ACCOUNT)
def portal_agreements(request, client):
    return _agreement_list(request, client, selectors.account_for_client(client), _portal_place(request, client))


# A read delegate may open the pages (and sees why there is no button); only a POST needs the edit delegation.
@portal_access(WHAT.ACCOUNT, edit=True)
def portal_agreement_new(request, client):
    return _agreement_new(request, client, selectors.account_for_client(client), _portal_place(request, client))


@portal_access(WHAT.ACCOUNT, edit=True)
def portal_agreement_end(request, client):
    return _agreement_end(request, client, selectors.account_for_client(client), _portal_place(request, client))


@staff_required(Role.SOCIAL_WORKER)
def case_agreements(request, case_id: int):
    case, account = _case_account(request, case_id)
    return _agreement_list(request, case.client, account, _case_place(case))


@staff_required(Role.SOCIAL_WORKER)
def case_agreement_new(request, case_id: int):
    case, account = _case_account(request, case_id)
    return _agreement_new(request, case.client, account, _case_place(case))


@staff_required(Role.SOCIAL_WORKER)
def case_agreement_end(request, case_id: int):
    case, account = _case_account(request, case_id)
    return _agreement_end(request, case.client, account, _case_place(case))


# --- The provider's pages ---------------------------------------------------------------------------------------
#
# A provider's reads of its agreements are not written to the client's access log: the log's grounds are the
# client relationship and the client's delegation, and a provider has neither. The pages therefore show only the
# agreement number and the client's first name and last-name initial (see ProviderAgreementRow).


@provider_required
def provider_agreements(request):
    rows = provider_agreement_rows(request.provider)
    _log_provider_reads(request, rows)
    return render(
        request,
        "accounts/agreements/provider_agreements.html",
        {"provider": request.provider, "agreements": rows},
    )


def _log_provider_reads(request, rows) -> None:
    """The provider sees each client's first name and initial: one read per client shown, on the agreement's
    grounds."""
    log_list_access(
        actor=request.user,
        organiser_id=request.provider.organiser_id,
        client_ids=[row.client_id for row in rows],
        what=AccessLogEntry.What.AGREEMENT,
        grounds=AccessLogEntry.Grounds.AGREEMENT,
        actor_role="provider",
    )


def _agreement_choice(row: ProviderAgreementRow) -> tuple[str, str]:
    return row.number, f"{row.number} · {row.service} · {row.client_name}"


def _price_text(amount: Decimal) -> str:
    # As the form's localized field reads it back (no grouping, the language's decimal mark).
    return formats.number_format(amount, 2, use_l10n=True)


def _claim_lines(provider: Provider, filled) -> tuple[LineClaim, ...]:
    numbers = {form.cleaned_data["agreement"].strip() for form in filled}
    agreed = agreed_prices(provider, numbers)
    claims = []
    for form in filled:
        data = form.cleaned_data
        number = data["agreement"].strip()
        price, amount = form.priced(agreed.get(number))
        claims.append(
            LineClaim(
                line=form.line_number,
                agreement_number=number,
                service_date=data["service_date"],
                quantity=data["quantity"],
                unit_price=price,
                amount=amount,
            )
        )
    return tuple(claims)


@provider_required
def provider_invoice_new(request):
    """The provider types an invoice of up to ten lines. Each line is checked on its own by posting; the answer lists
    what was posted and, for every line that was not, its number and why."""
    provider = request.provider
    active = provider_agreement_rows(provider, active_only=True)
    if request.method == "GET":  # the choices name the clients; a POST re-reads what the provider has seen
        _log_provider_reads(request, active)
    choices = [_agreement_choice(row) for row in active]
    head = InvoiceHeadForm(request.POST or None, initial=default_invoice_dates(clock.today()))
    lines = invoice_line_forms(request.POST or None, choices)
    for n, form in enumerate(lines, start=1):
        form.line_number = n  # the line's number on the form is the number the answer gives it
    if request.method == "POST":
        valid = head.is_valid()
        valid = all([form.is_valid() for form in lines]) and valid
        filled = [form for form in lines if not form.is_blank]
        if valid and not filled:
            head.add_error(None, ValidationError(_("Fill in at least one line of the invoice."), code="no_lines"))
        elif valid:
            data = head.cleaned_data
            claim = InvoiceClaim(
                invoice_number=data["invoice_number"],
                invoice_date=data["invoice_date"],
                due_date=data["due_date"],
                payee_iban=provider.iban,  # payments go only to the account the provider registered
                lines=_claim_lines(provider, filled),
            )
            result = post_provider_invoices(
                provider=provider, claims=[claim], source=InvoiceSource.PORTAL, recorded_by=request.user
            )
            posted = [line for invoice in result.invoices for line in invoice.posted_lines]
            return render(
                request,
                "accounts/agreements/provider_invoice_result.html",
                {
                    "provider": provider,
                    "invoice_number": claim.invoice_number,
                    "invoice": result.invoices[0] if result.invoices else None,
                    "posted": posted,
                    "failed": sorted(
                        ({"line": p.line, "message": p.message()} for p in result.problems),
                        key=lambda f: f["line"] or 0,
                    ),
                },
                # Nothing posted is a refusal; some lines posted is a success the page explains line by line.
                status=200 if posted else 400,
            )
    return render(
        request,
        "accounts/agreements/provider_invoice_new.html",
        {
            "provider": provider,
            "head": head,
            "lines": lines,
            "has_agreements": bool(active),
            "prices": {row.number: _price_text(row.unit_price) for row in active},
        },
        status=400 if request.method == "POST" else 200,
    )


@provider_required
def provider_invoice_list(request):
    page = Paginator(provider_invoices(request.provider), 50).get_page(request.GET.get("page"))
    return render(
        request, "accounts/agreements/provider_invoices.html", {"provider": request.provider, "page": page}
    )
