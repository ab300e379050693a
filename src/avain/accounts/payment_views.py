"""Finance's payment pages: approved invoices into batches, the bank's payment file out, the bank's notification in.
The organiser's administrator sets the bank account the payments are made from."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from avain.core import clock
from avain.core.validators import validate_iban
from avain.organisations.access import staff_required
from avain.organisations.models import Role
from avain.people.models import AccessLogEntry
from avain.people.services import log_access

from . import payments
from .formats.safexml import MAX_XML_BYTES
from .models import BatchStatus, InvoiceSource, NoticeOutcome, PaymentStatus

FINANCE = Role.FINANCE
# The waiting invoices listed for choosing, the earliest due first; a batch of every approved invoice pays them all.
WAITING_SHOWN = 200


class BatchForm(forms.Form):
    execution_date = forms.DateField(
        label=gettext_lazy("Payment date"),
        help_text=gettext_lazy("The day the bank pays the invoices: today or later."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ChosenBatchForm(BatchForm):
    """A batch of the invoices finance ticks in the list of those waiting; ``create_batch`` checks again that each
    is approved and payable."""

    invoices = forms.TypedMultipleChoiceField(coerce=int, error_messages={
        "required": gettext_lazy("Choose at least one invoice to pay."),
    })

    def __init__(self, *args, waiting=(), **kwargs):
        super().__init__(*args, prefix="chosen", **kwargs)
        self.fields["invoices"].choices = [(invoice.pk, invoice.invoice_number) for invoice in waiting]


class NotificationForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("The bank's notification (camt.054 file)"),
        help_text=gettext_lazy("The XML file of debit notifications you download from the bank, at most 20 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xml,application/xml,text/xml"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_XML_BYTES:
            raise forms.ValidationError(
                gettext_lazy("The file is too large: a notification can be at most %(limit)s MB."),
                code="file_too_large",
                params={"limit": MAX_XML_BYTES // (1024 * 1024)},
            )
        return upload


class PayerAccountForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Account holder"), max_length=70, validators=[payments.validate_payer_name])
    iban = forms.CharField(
        label=gettext_lazy("Account number (IBAN)"), max_length=42, validators=[validate_iban],
        help_text=gettext_lazy("The account the payments are made from, for example FI42 5000 1510 0000 23."),
    )
    bic = forms.CharField(
        label=gettext_lazy("BIC of the bank"), max_length=14, validators=[payments.validate_bic],
        help_text=gettext_lazy("For example OKOYFIHH or NDEAFIHH."),
    )


def _log_receipt_payees(request, invoices) -> None:
    """A client's receipt is paid to the client: the payee's name and account are the client's data, so each such
    client shown on the page gets one entry in their access log."""
    clients = {}
    for invoice in invoices:
        if invoice.source == InvoiceSource.RECEIPT:
            clients[invoice.account.client_id] = invoice.account.client
    for client in clients.values():
        log_access(
            actor=request.user,
            client=client,
            what=AccessLogEntry.What.INVOICE,
            grounds=AccessLogEntry.Grounds.CLIENT_RELATIONSHIP,
            actor_role=request.staff.role,
        )


def _overview(request, form, chosen_form, waiting_list, *, status=200):
    organiser_id = request.staff.organiser_id
    _log_receipt_payees(request, waiting_list)
    return render(
        request,
        "accounts/payments/overview.html",
        {
            "waiting": payments.waiting_for_payment(organiser_id),
            "waiting_list": waiting_list,
            "batches": payments.batches_of(organiser_id)[:50],
            "payer": payments.payer_account_of(organiser_id),
            "notifications": payments.notifications_of(organiser_id)[:5],
            "form": form,
            "chosen_form": chosen_form,
            # Ticked: what was sent back, or at first every invoice listed.
            "chosen_ids": {int(value) for value in chosen_form["invoices"].value() or () if str(value).isdigit()},
        },
        status=status,
    )


def _new_forms(waiting_list) -> tuple[BatchForm, ChosenBatchForm]:
    """The two ways to make a batch, as the page first shows them: paid today, every listed invoice ticked."""
    initial = {"execution_date": clock.today()}
    chosen = ChosenBatchForm(initial={**initial, "invoices": [i.pk for i in waiting_list]}, waiting=waiting_list)
    return BatchForm(initial=initial), chosen


@staff_required(FINANCE)
def payments_overview(request):
    waiting_list = list(payments.waiting_invoices(request.staff.organiser_id, WAITING_SHOWN))
    return _overview(request, *_new_forms(waiting_list), waiting_list)


@require_POST
@staff_required(FINANCE)
def batch_create(request):
    """A batch of every approved invoice, or (``mode`` "chosen") of the invoices ticked in the list."""
    waiting_list = list(payments.waiting_invoices(request.staff.organiser_id, WAITING_SHOWN))
    chosen = request.POST.get("mode") == "chosen"
    form = ChosenBatchForm(request.POST, waiting=waiting_list) if chosen else BatchForm(request.POST)
    if form.is_valid():
        try:
            batch = payments.create_batch(
                organiser=request.staff.organiser,
                execution_date=form.cleaned_data["execution_date"],
                created_by=request.user,
                invoice_ids=form.cleaned_data["invoices"] if chosen else None,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The batch is ready. Check it, then make the payment file for the bank."))
            for item in batch.left_out:
                messages.warning(request, _("Left out of the batch: %(reason)s") % {"reason": item.message()})
            return redirect("payment_batch", batch.pk)
    all_form, chosen_form = _new_forms(waiting_list)
    if chosen:
        return _overview(request, all_form, form, waiting_list, status=400)
    return _overview(request, form, chosen_form, waiting_list, status=400)


def _batch_or_404(request, batch_id: int):
    batch = payments.batch_of(request.staff.organiser_id, batch_id)
    if batch is None:
        raise Http404
    return batch


@staff_required(FINANCE)
def batch_detail(request, batch_id: int):
    batch = _batch_or_404(request, batch_id)
    payment_list = list(payments.payments_of(batch))
    _log_receipt_payees(request, [payment.invoice for payment in payment_list])
    return render(
        request,
        "accounts/payments/batch.html",
        {
            "batch": batch,
            "payments": payment_list,
            "payer": payments.payer_account_of(request.staff.organiser_id),
            "is_draft": batch.status == BatchStatus.DRAFT,
            "date_form": BatchForm(initial={"execution_date": batch.execution_date}),
            "is_exported": batch.status == BatchStatus.EXPORTED,
            "paid_count": sum(1 for p in payment_list if p.status == PaymentStatus.PAID),
            # Every notification of the bank about these payments, in the order they came: the payment's history.
            "notices": list(payments.notices_of_batch(batch)),
        },
    )


@require_POST
@staff_required(FINANCE)
def batch_export(request, batch_id: int):
    batch = _batch_or_404(request, batch_id)
    try:
        payments.export_batch(batch=batch, exported_by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The payment file is ready. Download it and send it to the bank."))
    return redirect("payment_batch", batch.pk)


@require_POST
@staff_required(FINANCE)
def batch_date(request, batch_id: int):
    """Move a draft batch to another payment date."""
    batch = _batch_or_404(request, batch_id)
    form = BatchForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["execution_date"])
        batch = payments.change_batch_date(batch=batch, execution_date=form.cleaned_data["execution_date"])
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        day = formats.date_format(batch.execution_date, "SHORT_DATE_FORMAT")
        messages.success(request, _("The payment date is now %(date)s.") % {"date": day})
    return redirect("payment_batch", batch.pk)


@require_POST
@staff_required(FINANCE)
def batch_cancel(request, batch_id: int):
    batch = _batch_or_404(request, batch_id)
    try:
        payments.cancel_batch(batch=batch, cancelled_by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The batch is cancelled. Its invoices wait for payment again."))
    return redirect("payment_batch", batch.pk)


@staff_required(FINANCE)
def batch_file(request, batch_id: int):
    """The pain.001 file exactly as it was exported."""
    batch = _batch_or_404(request, batch_id)
    if batch.status != BatchStatus.EXPORTED:
        raise Http404
    response = HttpResponse(bytes(batch.pain001), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{payments.pain001_filename(batch)}"'
    # Payees' names and accounts: no cache on the way may keep a copy.
    patch_cache_control(response, private=True, no_store=True)
    return response


@staff_required(FINANCE)
def notifications(request):
    form = NotificationForm(request.POST, request.FILES) if request.method == "POST" else NotificationForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        started = clock.now()
        record = payments.import_camt054(
            organiser=request.staff.organiser, filename=upload.name, data=upload.read(), by=request.user
        )
        if record.received_at < started:
            messages.info(
                request,
                _("This file was already read on %(date)s. Its result is shown below; nothing was changed.")
                % {"date": _datetime_text(record.received_at)},
            )
        return redirect("payment_notification", record.pk)
    return render(
        request,
        "accounts/payments/notifications.html",
        {"form": form, "notifications": payments.notifications_of(request.staff.organiser_id)[:50]},
        status=400 if request.method == "POST" else 200,
    )


def _datetime_text(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


@staff_required(FINANCE)
def notification_detail(request, import_id: int):
    record = payments.notification_of(request.staff.organiser_id, import_id)
    if record is None:
        raise Http404
    changed = list(payments.notices_changing(record))
    _log_receipt_payees(request, [notice.payment.invoice for notice in changed])
    problems = [
        {"line": problem.get("line"), "message": payments.problem_message(problem)} for problem in record.problems
    ]
    return render(
        request,
        "accounts/payments/notification.html",
        {
            "record": record,
            "paid": [notice.payment for notice in changed if notice.outcome == NoticeOutcome.PAID],
            "returned": [notice.payment for notice in changed if notice.outcome == NoticeOutcome.RETURNED],
            "problems": problems,
        },
    )


@staff_required(Role.ORGANISER_ADMIN)
def payer_account(request):
    organiser = request.staff.organiser
    current = payments.payer_account_of(organiser.pk)
    initial = {"name": current.name, "iban": current.iban, "bic": current.bic} if current else {"name": organiser.name}
    form = PayerAccountForm(request.POST, initial=initial) if request.method == "POST" else PayerAccountForm(initial=initial)
    if form.is_bound and form.is_valid():
        try:
            payments.set_payer_account(organiser=organiser, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The bank account for payments is saved."))
            return redirect("payer_account")
    return render(
        request,
        "accounts/payments/payer_account.html",
        {"form": form, "current": current},
        status=400 if request.method == "POST" else 200,
    )
