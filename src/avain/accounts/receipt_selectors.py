"""Reads for the receipt and invoice-decision pages (receipt_views.py), always scoped by organiser: an id from a
request finds an invoice only within what the asker may see, and None otherwise."""

from .models import Invoice, InvoiceSource, InvoiceStatus


def invoices_of(account):
    """The account's invoices and receipts, the newest first."""
    return (
        Invoice.objects.filter(organiser_id=account.organiser_id, account=account)
        .select_related("provider")
        .order_by("-recorded_at", "-pk")
    )


def invoice_on_account(account, invoice_id: int) -> Invoice | None:
    return Invoice.objects.filter(organiser_id=account.organiser_id, account=account, pk=invoice_id).first()


def receipt_of_client(client, invoice_id: int) -> Invoice | None:
    return Invoice.objects.filter(
        organiser_id=client.organiser_id, account__client=client, source=InvoiceSource.RECEIPT, pk=invoice_id
    ).first()


def receipt_of_case(case, invoice_id: int) -> Invoice | None:
    return Invoice.objects.filter(
        organiser_id=case.organiser_id, account__decision__case=case, source=InvoiceSource.RECEIPT, pk=invoice_id
    ).first()


def awaiting_approval(organiser_id: int):
    """The organiser's invoices waiting for approval, the oldest first, with whose they are."""
    return (
        Invoice.objects.filter(organiser_id=organiser_id, status=InvoiceStatus.AWAITING_APPROVAL)
        .select_related("provider", "account__client", "account__decision")
        .order_by("recorded_at", "pk")
    )


def invoice_of_organiser(organiser_id: int, invoice_id: int) -> Invoice | None:
    """Any of the organiser's invoices, with its client (whose data the approver reads)."""
    return Invoice.objects.filter(organiser_id=organiser_id, pk=invoice_id).select_related("account__client").first()
