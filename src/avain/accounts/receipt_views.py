"""Pages for clients' receipts and for accepting, approving and rejecting invoices.

The client's portal: claim a receipt, accept or reject invoices, download a receipt's file. The staff: the queue of
invoices waiting for approval and a receipt's file from the case. Every page starts with its access check; the
services check again who may do what.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from avain.core.feedback import show_errors
from avain.organisations.access import staff_required
from avain.organisations.selectors import CLIENT_DATA_ROLES
from avain.people.access import portal_access
from avain.people.models import AccessLogEntry, Delegation
from avain.people.services import log_access
from avain.planning.access import case_for_staff

from . import receipt_selectors, selectors
from .invoices import APPROVING_ROLES, accept_invoice, approve_invoice, reject_invoice
from .models import AccountStatus, Invoice, InvoiceStatus
from .receipt_forms import InvoiceDecisionForm, ReceiptForm
from .receipts import claim_receipt, content_type_of, no_receipt_left

WHAT = AccessLogEntry.What
# The approval queue shows the oldest invoices first; a longer backlog is worked through a page at a time.
QUEUE_LENGTH = 100



def _can_edit(request) -> bool:
    return request.delegation is None or request.delegation.access == Delegation.Access.EDIT


# --- The client's portal ---------------------------------------------------------------------------------------


@portal_access(WHAT.INVOICE, edit=True)
def portal_receipt_new(request, client):
    """The client claims a purchase they paid themselves, with a photo or PDF of the receipt."""
    account = selectors.account_for_client(client)
    if account is None or account.status != AccountStatus.OPEN:
        return render(request, "accounts/receipts/portal_receipt_new.html", {"client": client, "account": None})
    form = ReceiptForm(request.POST or None, request.FILES or None, account=account)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invoice = claim_receipt(
                account=account,
                sub_account=data["sub_account"],
                purchase_date=data["purchase_date"],
                amount=data["amount"],
                description=data["description"],
                payee_iban=data["payee_iban"],
                attachment=data["attachment"] or None,
                without_receipt=data["without_receipt"],
                claimed_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Your receipt %(number)s is sent. You will see here when it has been approved and paid.")
                % {"number": invoice.invoice_number},
            )
            return redirect("portal_invoices", client.pk)
    return render(
        request,
        "accounts/receipts/portal_receipt_new.html",
        {
            "client": client,
            "account": account,
            "form": form,
            "can_edit": _can_edit(request),
            "no_receipt_left": no_receipt_left(account),
        },
    )


@portal_access(WHAT.INVOICE, edit=True)
def portal_invoices(request, client):
    """The invoices and receipts on the client's budget: those waiting for the client's acceptance first."""
    account = selectors.account_for_client(client)
    if request.method == "POST":
        if account is None:
            raise Http404
        form = InvoiceDecisionForm(request.POST)
        if not form.is_valid() or form.cleaned_data["action"] not in ("accept", "reject"):
            raise Http404
        invoice = receipt_selectors.invoice_on_account(account, form.cleaned_data["invoice"])
        if invoice is None:
            raise Http404
        try:
            if form.cleaned_data["action"] == "accept":
                accept_invoice(invoice=invoice, by=request.user)
                messages.success(request, _("You accepted invoice %(number)s.") % {"number": invoice.invoice_number})
            else:
                rejected = reject_invoice(invoice=invoice, by=request.user, reason=form.cleaned_data["reason"])
                if rejected.money_released > 0:
                    text = _(
                        "You rejected invoice %(number)s. Its money went back to the organiser, because your budget "
                        "has been closed or the plan no longer has that line."
                    )
                else:
                    text = _("You rejected invoice %(number)s. Its money is back on your budget.")
                messages.success(request, text % {"number": invoice.invoice_number})
        except ValidationError as error:
            show_errors(request, error)
        return redirect("portal_invoices", client.pk)
    invoices = list(receipt_selectors.invoices_of(account)) if account else []
    return render(
        request,
        "accounts/invoices/portal_invoices.html",
        {
            "client": client,
            "account": account,
            "waiting": [i for i in invoices if i.status == InvoiceStatus.AWAITING_ACCEPTANCE],
            "invoices": invoices,
            "can_edit": _can_edit(request),
            "can_claim": account is not None and account.status == AccountStatus.OPEN,
        },
    )


def _file_response(invoice: Invoice) -> FileResponse:
    if not invoice.attachment:
        raise Http404
    try:
        handle = invoice.attachment.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    extension = invoice.attachment.name[invoice.attachment.name.rfind(".") :]
    # The download is named after the receipt's number, never after anything the client typed or uploaded.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"kuitti-{invoice.invoice_number}{extension}",
        content_type=content_type_of(invoice),
    )
    response["X-Content-Type-Options"] = "nosniff"
    # A receipt tells what the client bought: no cache on the way may keep a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


@portal_access(WHAT.INVOICE)
def portal_receipt_file(request, client, invoice_id: int):
    invoice = receipt_selectors.receipt_of_client(client, invoice_id)
    if invoice is None:
        raise Http404
    return _file_response(invoice)


@staff_required(*CLIENT_DATA_ROLES)
def case_receipt_file(request, case_id: int, invoice_id: int):
    case = case_for_staff(request, case_id, WHAT.INVOICE)
    invoice = receipt_selectors.receipt_of_case(case, invoice_id)
    if invoice is None:
        raise Http404
    return _file_response(invoice)


# --- The staff's approval queue -----------------------------------------------------------------------------------


def _log_reads(request, clients) -> None:
    """The queue shows whose invoices wait and for what: one access-log entry for each client it shows."""
    for client in clients:
        log_access(
            actor=request.user,
            client=client,
            what=WHAT.INVOICE,
            grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
            actor_role=request.staff.role,
        )


@staff_required(*APPROVING_ROLES)
def invoice_approval(request):
    """Invoices of the organiser waiting for approval, oldest first; approve or reject with a reason."""
    organiser_id = request.staff.organiser_id
    if request.method == "POST":
        form = InvoiceDecisionForm(request.POST)
        if not form.is_valid() or form.cleaned_data["action"] not in ("approve", "reject"):
            raise Http404
        invoice = receipt_selectors.invoice_of_organiser(organiser_id, form.cleaned_data["invoice"])
        if invoice is None:
            raise Http404
        _log_reads(request, [invoice.account.client])
        try:
            if form.cleaned_data["action"] == "approve":
                approve_invoice(invoice=invoice, by=request.user)
                messages.success(request, _("Invoice %(number)s is approved for payment.") % {"number": invoice.invoice_number})
            else:
                rejected = reject_invoice(invoice=invoice, by=request.user, reason=form.cleaned_data["reason"])
                if rejected.money_released > 0:
                    text = _(
                        "Invoice %(number)s is rejected. Its money went back to the organiser, because the client's "
                        "budget has been closed or the plan no longer has that line."
                    )
                else:
                    text = _("Invoice %(number)s is rejected and its money is back on the client's budget.")
                messages.success(request, text % {"number": invoice.invoice_number})
        except ValidationError as error:
            show_errors(request, error)
        return redirect("invoice_approval")
    waiting = receipt_selectors.awaiting_approval(organiser_id)
    count = waiting.count()
    invoices = list(waiting[:QUEUE_LENGTH])
    clients = {invoice.account.client_id: invoice.account.client for invoice in invoices}
    _log_reads(request, clients.values())
    return render(
        request,
        "accounts/invoices/approval_queue.html",
        {"invoices": invoices, "count": count, "shown": len(invoices)},
    )
