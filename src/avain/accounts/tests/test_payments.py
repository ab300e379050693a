"""Paying approved invoices (avain.accounts.payments): batches, the pain.001 file, and the bank's camt.054.

The whole cycle runs through the real services: invoices posted under agreements and approved by the organiser's
funding rule, a batch, its file read back as the bank reads it, the bank's notification built from that file and
imported. Every refusal changes nothing, and nothing is ever paid twice.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import translation
from lxml import etree

from avain.accounts import ledger
from avain.accounts.formats import pain001
from avain.accounts.formats.camt054 import PENDING, build_camt054
from avain.accounts.formats.pain001 import control_totals, parse_pain001
from avain.accounts.formats.references import finnish_reference
from avain.accounts.formats.safexml import schema_errors
from avain.accounts.models import (
    BatchStatus,
    EntryKind,
    FundingRule,
    ImportStatus,
    Invoice,
    InvoiceSource,
    InvoiceStatus,
    LedgerEntry,
    PayerAccount,
    Payment,
    NoticeOutcome,
    PaymentBatch,
    PaymentNotice,
    PaymentStatus,
    SubAccount,
)
from avain.accounts.payments import (
    cancel_batch,
    create_batch,
    export_batch,
    import_camt054,
    problem_message,
    set_payer_account,
)
from avain.accounts.posting import InvoiceClaim, LineClaim, post_provider_invoices
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.organisations.models import Role
from avain.testing import (
    account_of,
    case_active,
    db_snapshot,
    make_agreement,
    make_organiser,
    make_staff,
    refused,
)

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENING = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
IN_MARCH = dt.datetime(2025, 3, 31, 9, 0, tzinfo=dt.UTC)
PAY_DAY = dt.date(2025, 4, 1)
ON_PAY_DAY = dt.datetime(2025, 4, 1, 15, 0, tzinfo=dt.UTC)
PAYER = {"name": "Keski-Suomen hyvinvointialue", "iban": "FI4250001510000023", "bic": "OKOYFIHH"}


# --- Helpers -------------------------------------------------------------------------------------------------------


def approved_invoices_world(organiser=None):
    """An organiser whose funding rule asks for no acceptance or approval, so posted invoices are APPROVED at once
    (``posting.initial_status``); an active case with its account, and a finance person."""
    with frozen_at(OPENING):
        organiser = organiser or make_organiser()
        FundingRule.objects.create(organiser=organiser, client_acceptance=False, staff_approval=False)
        account = account_of(case_active(organiser=organiser, period=PERIOD))
    return organiser, account, make_staff(organiser, Role.FINANCE)


def post_invoices(account, *claims_of):
    """Post invoices under new agreements on the account's two lines (same provider) and return them, in order.
    Each of ``claims_of`` is a function (first agreement, second agreement) → InvoiceClaim."""
    with frozen_at(IN_MARCH):
        first = make_agreement(account, line=0, unit_price="50.00", quantity="20")
        second = make_agreement(account, line=1, provider=first.provider, unit_price="40.00", quantity="10")
        claims = [make(first, second) for make in claims_of]
        result = post_provider_invoices(
            provider=first.provider, claims=claims, source=InvoiceSource.PORTAL, recorded_by=first.made_by
        )
    assert result.problems == []
    return [Invoice.objects.get(pk=invoice.pk) for invoice in result.invoices]


def claim(number, *lines, reference=""):
    """lines: (agreement, quantity); service dates in March."""
    def make(first, second):
        chosen = {"first": first, "second": second}
        claim_lines = tuple(
            LineClaim(n, chosen[which].number, dt.date(2025, 3, n), Decimal(quantity), chosen[which].unit_price,
                      chosen[which].unit_price * Decimal(quantity))
            for n, (which, quantity) in enumerate(lines, start=1)
        )
        return InvoiceClaim(number, dt.date(2025, 3, 20), dt.date(2025, 4, 3), first.provider.iban, claim_lines,
                            reference=reference)
    return make


REFERENCE = finnish_reference("20250018")


@pytest.fixture
def world():
    """Invoice A: 2 × 50 € on line 1 and 1 × 40 € on line 2, with a reference; invoice B: 3 × 50 € on line 1, none."""
    organiser, account, finance = approved_invoices_world()
    a, b = post_invoices(
        account,
        claim("A-1", ("first", 2), ("second", 1), reference=REFERENCE),
        claim("B-2", ("first", 3)),
    )
    set_payer_account(organiser=organiser, by=finance, **PAYER)
    return organiser, account, finance, a, b


def status(obj):
    return type(obj).objects.get(pk=obj.pk).status


def paid_totals(account):
    return [sub.paid for sub in SubAccount.objects.filter(account=account).order_by("pk")]


def new_batch(organiser, finance, **kwargs):
    with frozen_at(IN_MARCH):
        return create_batch(organiser=organiser, execution_date=PAY_DAY, created_by=finance, **kwargs)


def exported(organiser, finance, **kwargs):
    batch = new_batch(organiser, finance, **kwargs)
    with frozen_at(IN_MARCH):
        return export_batch(batch=batch, exported_by=finance)


def bank_notification(batch, *, message_id="NTF-1", **options) -> bytes:
    """What the bank sends: built from the pain.001 file as the bank reads it, not from our own rows."""
    received = parse_pain001(bytes(batch.pain001))
    return build_camt054(received, message_id=message_id, created_at=dt.datetime(2025, 4, 1, 18, 0),
                         booking_date=PAY_DAY, **options)


def imported(organiser, finance, data, filename="camt054.xml"):
    with frozen_at(ON_PAY_DAY):
        return import_camt054(organiser=organiser, filename=filename, data=data, by=finance)


def codes(record):
    return [(problem["line"], problem["code"]) for problem in record.problems]


# --- The whole cycle -----------------------------------------------------------------------------------------------


def test_approved_invoices_are_batched_exported_and_paid_by_the_banks_notification(world):
    organiser, account, finance, a, b = world
    assert (a.status, a.total, b.status, b.total) == (
        InvoiceStatus.APPROVED, Decimal("140.00"), InvoiceStatus.APPROVED, Decimal("150.00"))

    batch = new_batch(organiser, finance)
    assert batch.status == BatchStatus.DRAFT and batch.total == Decimal("290.00") and batch.left_out == ()
    payments = {p.invoice_id: p for p in Payment.objects.filter(batch=batch)}
    assert {i: (p.amount, p.status) for i, p in payments.items()} == {
        a.pk: (Decimal("140.00"), PaymentStatus.PENDING), b.pk: (Decimal("150.00"), PaymentStatus.PENDING)}
    assert payments[a.pk].end_to_end_id == f"{batch.message_id}-{a.pk}"
    assert status(a) == status(b) == InvoiceStatus.IN_PAYMENT

    with frozen_at(IN_MARCH):
        batch = export_batch(batch=batch, exported_by=finance)
    data = bytes(PaymentBatch.objects.get(pk=batch.pk).pain001)
    assert schema_errors(etree.fromstring(data), "pain.001.001.03.xsd") == []
    assert control_totals(data) == (2, Decimal("290.00"))
    sent = {p.end_to_end_id: p for p in parse_pain001(data).payments}
    by_invoice = {a.pk: sent[payments[a.pk].end_to_end_id], b.pk: sent[payments[b.pk].end_to_end_id]}
    assert (by_invoice[a.pk].reference, by_invoice[a.pk].message) == (REFERENCE, None)
    assert (by_invoice[b.pk].reference, by_invoice[b.pk].message) == (None, "Lasku/Faktura B-2")
    assert by_invoice[b.pk].creditor_iban == b.payee_iban
    received = parse_pain001(data)
    assert (received.debtor_iban, received.debtor_bic, received.execution_date) == (PAYER["iban"], "OKOYFIHH", PAY_DAY)
    assert batch.status == BatchStatus.EXPORTED and batch.exported_by == finance

    record = imported(organiser, finance, bank_notification(batch))

    assert record.status == ImportStatus.PROCESSED and record.problems == []
    assert (record.lines_total, record.lines_posted) == (2, 2)
    assert status(a) == status(b) == InvoiceStatus.PAID
    assert {(p.status, p.booked_on, p.notification_id) for p in Payment.objects.filter(batch=batch)} == {
        (PaymentStatus.PAID, PAY_DAY, record.pk)}
    # Line 1 paid A's 100 € and B's 150 €, line 2 A's 40 €.
    assert paid_totals(account) == [Decimal("250.00"), Decimal("40.00")]
    assert sorted(LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list("invoice_id", "amount")) == sorted(
        [(a.pk, Decimal("100.00")), (a.pk, Decimal("40.00")), (b.pk, Decimal("150.00"))])
    assert ledger.verify() == []


def test_exporting_twice_gives_the_same_file(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    first = bytes(batch.pain001)
    with frozen_at(ON_PAY_DAY):
        again = export_batch(batch=batch, exported_by=make_staff(organiser, Role.FINANCE))
    assert bytes(again.pain001) == first and again.exported_at == batch.exported_at
    assert again.exported_by == finance


def test_export_needs_the_organisers_payer_account(world):
    organiser, account, finance, a, b = world
    PayerAccount.objects.filter(organiser=organiser).delete()
    batch = new_batch(organiser, finance)
    with frozen_at(IN_MARCH):
        refused("no_payer_account", export_batch, batch=batch, exported_by=finance)


def test_a_batch_whose_payment_date_passed_is_not_exported(world):
    organiser, account, finance, a, b = world
    batch = new_batch(organiser, finance)
    with frozen_at(dt.datetime(2025, 4, 2, 9, 0, tzinfo=dt.UTC)):
        refused("date_in_past", export_batch, batch=batch, exported_by=finance)


# --- Making and cancelling batches --------------------------------------------------------------------------------


def test_a_payment_date_in_the_past_is_refused(world):
    organiser, account, finance, a, b = world
    with frozen_at(IN_MARCH):
        refused("date_in_past", create_batch, organiser=organiser, execution_date=dt.date(2025, 3, 30),
                created_by=finance)


def test_with_nothing_approved_no_batch_is_made(world):
    organiser, account, finance, a, b = world
    new_batch(organiser, finance)
    with frozen_at(IN_MARCH):
        refused("nothing_to_pay", create_batch, organiser=organiser, execution_date=PAY_DAY, created_by=finance)


def test_a_cancelled_batch_frees_its_invoices_for_a_new_batch(world):
    organiser, account, finance, a, b = world
    first = new_batch(organiser, finance)
    with frozen_at(IN_MARCH):
        cancelled = cancel_batch(batch=first, cancelled_by=finance)
    assert (cancelled.status, cancelled.cancelled_by) == (BatchStatus.CANCELLED, finance)
    assert set(Payment.objects.filter(batch=first).values_list("status", flat=True)) == {PaymentStatus.CANCELLED}
    assert status(a) == status(b) == InvoiceStatus.APPROVED

    second = new_batch(organiser, finance)

    assert set(Payment.objects.filter(batch=second).values_list("invoice_id", flat=True)) == {a.pk, b.pk}
    assert not set(Payment.objects.filter(batch=second).values_list("end_to_end_id", flat=True)) & set(
        Payment.objects.filter(batch=first).values_list("end_to_end_id", flat=True))
    assert status(a) == InvoiceStatus.IN_PAYMENT
    # Cancelling twice changes nothing; a cancelled batch is never exported.
    before = db_snapshot()
    cancel_batch(batch=first, cancelled_by=finance)
    assert db_snapshot() == before
    refused("batch_cancelled", export_batch, batch=first, exported_by=finance)


def test_a_batch_sent_to_the_bank_cannot_be_cancelled(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    with translation.override("en"):
        error = refused("already_exported", cancel_batch, batch=batch, cancelled_by=finance)
    assert "bank" in str(error.messages[0])
    assert status(a) == InvoiceStatus.IN_PAYMENT


def test_an_invoice_is_never_in_two_live_batches(world):
    organiser, account, finance, a, b = world
    first = new_batch(organiser, finance, invoice_ids=[a.pk])
    assert status(a) == InvoiceStatus.IN_PAYMENT and status(b) == InvoiceStatus.APPROVED

    with frozen_at(IN_MARCH):
        error = refused("not_approved", create_batch, organiser=organiser, execution_date=PAY_DAY,
                        created_by=finance, invoice_ids=[a.pk, b.pk])
    assert "A-1" in error.messages[0] and "B-2" not in error.messages[0]
    # A batch of everything waiting takes only B.
    second = new_batch(organiser, finance)
    assert list(Payment.objects.filter(batch=second).values_list("invoice_id", flat=True)) == [b.pk]
    # Underneath, the database refuses a second live payment of the same invoice.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(organiser=organiser, batch=second, invoice=a, end_to_end_id="SECOND-TRY",
                               amount=a.total)


def test_invoices_of_another_organiser_cannot_be_chosen(world):
    organiser, account, finance, a, b = world
    other, _account, other_finance = approved_invoices_world()
    with frozen_at(IN_MARCH):
        refused("invoice_not_found", create_batch, organiser=other, execution_date=PAY_DAY, created_by=other_finance,
                invoice_ids=[a.pk])
        refused("nothing_to_pay", create_batch, organiser=other, execution_date=PAY_DAY, created_by=other_finance)


def test_an_invoice_the_bank_could_not_pay_is_left_out_or_refused_by_name(world):
    organiser, account, finance, a, b = world
    Invoice.objects.filter(pk=b.pk).update(payee_iban="FI0000000000000000")

    with frozen_at(IN_MARCH):
        error = refused("not_payable", create_batch, organiser=organiser, execution_date=PAY_DAY, created_by=finance,
                        invoice_ids=[a.pk, b.pk])
    assert "B-2" in error.messages[0] and "FI0000000000000000" in error.messages[0]

    batch = new_batch(organiser, finance)
    assert [(item.invoice.pk, item.code) for item in batch.left_out] == [(b.pk, "invalid_payee_iban")]
    assert list(Payment.objects.filter(batch=batch).values_list("invoice_id", flat=True)) == [a.pk]
    assert status(b) == InvoiceStatus.APPROVED


def test_names_and_numbers_outside_the_sepa_set_do_not_stop_a_payment(world):
    organiser, account, finance, a, b = world
    Invoice.objects.filter(pk=b.pk).update(payee_name="Hoiva & Apu € Oy " + "x" * 80, invoice_number="B#2€")
    batch = exported(organiser, finance)
    payment = Payment.objects.get(batch=batch, invoice=b)
    sent = {p.end_to_end_id: p for p in parse_pain001(bytes(batch.pain001)).payments}[payment.end_to_end_id]
    assert sent.creditor_name.startswith("Hoiva + Apu Oy xxx") and len(sent.creditor_name) == pain001.NAME_LENGTH
    assert sent.message == "Lasku/Faktura B 2"


# --- The bank's notification ----------------------------------------------------------------------------------------


def test_the_same_notification_twice_changes_nothing_the_second_time(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    data = bank_notification(batch)
    first = imported(organiser, finance, data)
    before = db_snapshot()

    again = imported(organiser, finance, data, filename="the-same-file-again.xml")

    assert again.pk == first.pk
    assert db_snapshot() == before
    assert ledger.verify() == []


def test_a_booking_notified_again_in_another_file_is_not_paid_twice(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    imported(organiser, finance, bank_notification(batch, message_id="NTF-1"))
    paid = paid_totals(account)

    second = imported(organiser, finance, bank_notification(batch, message_id="NTF-2"))

    assert second.lines_posted == 0
    assert [problem["code"] for problem in second.problems] == ["already_paid", "already_paid"]
    assert paid_totals(account) == paid
    assert ledger.verify() == []


def test_a_returned_payment_puts_its_invoice_back_to_waiting_for_payment(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    payment_b = Payment.objects.get(batch=batch, invoice=b)

    record = imported(organiser, finance, bank_notification(batch, returns={payment_b.end_to_end_id: "AC04"}))

    assert record.status == ImportStatus.PROCESSED
    assert codes(record) == [(2, "returned")]
    with frozen_at(ON_PAY_DAY):
        message = problem_message(record.problems[0])
    assert "B-2" in message and "AC04" in message
    assert status(payment_b) == PaymentStatus.RETURNED and status(b) == InvoiceStatus.APPROVED
    assert status(a) == InvoiceStatus.PAID
    # The bank paid B and paid it back: the ledger shows both, and only A stays paid.
    assert sorted(LedgerEntry.objects.filter(payment=payment_b).values_list("amount", flat=True)) == [
        Decimal("-150.00"), Decimal("150.00")]
    assert paid_totals(account) == [Decimal("100.00"), Decimal("40.00")]
    assert ledger.verify() == []

    again = new_batch(organiser, finance)
    assert list(Payment.objects.filter(batch=again).values_list("invoice_id", flat=True)) == [b.pk]


def test_a_return_notified_after_the_payment_takes_the_money_back_off_the_ledger(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    payment_a = Payment.objects.get(batch=batch, invoice=a)
    imported(organiser, finance, bank_notification(batch, message_id="NTF-1"))
    assert paid_totals(account) == [Decimal("250.00"), Decimal("40.00")]

    record = imported(organiser, finance, bank_notification(batch, message_id="NTF-2",
                                                            returns={payment_a.end_to_end_id: "AC01"}))

    assert sorted(code for _line, code in codes(record)) == ["already_paid", "already_paid", "returned"]
    assert status(payment_a) == PaymentStatus.RETURNED and status(a) == InvoiceStatus.APPROVED
    assert paid_totals(account) == [Decimal("150.00"), Decimal("0.00")]
    assert ledger.verify() == []


def test_a_booked_amount_that_differs_is_a_problem_and_nothing_is_paid(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    received = parse_pain001(bytes(batch.pain001))
    changed = dataclasses.replace(received, payments=(
        dataclasses.replace(received.payments[0], amount=received.payments[0].amount + Decimal("0.01")),
        *received.payments[1:]))
    data = build_camt054(changed, message_id="NTF-X", created_at=dt.datetime(2025, 4, 1, 18, 0),
                         booking_date=PAY_DAY)

    record = imported(organiser, finance, data)

    assert codes(record) == [(1, "amount_mismatch")]
    wrong = Payment.objects.get(end_to_end_id=received.payments[0].end_to_end_id)
    assert wrong.status == PaymentStatus.PENDING and wrong.invoice.status == InvoiceStatus.IN_PAYMENT
    assert record.lines_posted == 1
    assert ledger.verify() == []


def test_unknown_end_to_end_ids_and_pending_bookings_change_nothing(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    stranger = parse_pain001(bytes(batch.pain001))
    stranger = dataclasses.replace(stranger, message_id="SOMEONE-ELSE", payments=tuple(
        dataclasses.replace(p, end_to_end_id=f"X-{n}") for n, p in enumerate(stranger.payments)))
    before = db_snapshot("accounts")

    unknown = imported(organiser, finance, build_camt054(
        stranger, message_id="N-1", created_at=dt.datetime(2025, 4, 1), booking_date=PAY_DAY))
    pending = imported(organiser, finance, bank_notification(batch, status=PENDING))

    assert codes(unknown) == [(1, "unknown_payment"), (1, "unknown_payment")]
    assert codes(pending) == [(1, "not_booked"), (1, "not_booked")]
    after = db_snapshot("accounts")
    del after["accounts.ImportFile"], before["accounts.ImportFile"]
    # Only the history: a pending booking names our payments and is kept as a notice of each; unknown ids are not.
    assert sorted(PaymentNotice.objects.values_list("notification_id", "outcome")) == [
        (pending.pk, NoticeOutcome.NOT_BOOKED), (pending.pk, NoticeOutcome.NOT_BOOKED)
    ]
    del after["accounts.PaymentNotice"], before["accounts.PaymentNotice"]
    assert after == before


def test_payments_of_another_organiser_are_unknown_to_its_notifications(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    other = make_organiser()
    other_finance = make_staff(other, Role.FINANCE)

    record = imported(other, other_finance, bank_notification(batch))

    assert [code for _line, code in codes(record)] == ["unknown_payment", "unknown_payment"]
    assert status(a) == status(b) == InvoiceStatus.IN_PAYMENT


@pytest.mark.parametrize(
    "data, code",
    [
        (b"", "file_empty"),
        (b"<Document><not-closed>", "not_xml"),
        (b'<!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>', "xml_unsafe"),
        (b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.02'/>", "not_camt054"),
    ],
)
def test_a_file_that_is_not_a_notification_is_rejected_with_its_reason_and_nothing_changes(world, data, code):
    organiser, account, finance, a, b = world
    exported(organiser, finance)
    before = db_snapshot()

    record = imported(organiser, finance, data, filename="pankki.xml")

    assert record.status == ImportStatus.REJECTED
    assert codes(record) == [(None, code)]
    assert problem_message(record.problems[0]) != code
    after = db_snapshot()
    assert len(after["accounts.ImportFile"]) == len(before["accounts.ImportFile"]) + 1
    del after["accounts.ImportFile"], before["accounts.ImportFile"]
    assert after == before


def test_a_pain001_file_sent_as_a_notification_is_rejected(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    record = imported(organiser, finance, bytes(batch.pain001))
    assert record.status == ImportStatus.REJECTED and codes(record) == [(None, "not_camt054")]
    assert status(a) == InvoiceStatus.IN_PAYMENT


# --- The payer account ---------------------------------------------------------------------------------------------


def test_the_payer_account_is_checked_and_stored_compact(world):
    organiser, account, finance, a, b = world
    refused("invalid_iban", set_payer_account, organiser=organiser, by=finance,
            name="Hyvinvointialue", iban="FI42 5000 1510 0000 24", bic="OKOYFIHH")
    refused("invalid_bic", set_payer_account, organiser=organiser, by=finance,
            name="Hyvinvointialue", iban=PAYER["iban"], bic="OKOY")
    refused("name_not_sepa", set_payer_account, organiser=organiser, by=finance,
            name="Hyvinvointialue €", iban=PAYER["iban"], bic="OKOYFIHH")

    payer = set_payer_account(organiser=organiser, by=finance, name="  Itä-Uusimaa  ", iban="FI42 5000 1510 0000 23",
                              bic="okoy fi hh")

    assert (payer.name, payer.iban, payer.bic) == ("Itä-Uusimaa", "FI4250001510000023", "OKOYFIHH")
    assert PayerAccount.objects.filter(organiser=organiser).count() == 1


# --- At the same moment (PostgreSQL: real row locks) -------------------------------------------------------------


def run_at_once(count, work):
    """Run ``work(n)`` in ``count`` threads released together, each with its own connection; returns
    (results, errors)."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connections

    start = threading.Barrier(count)
    results, errors = [], []

    def run(n):
        try:
            start.wait()
            results.append(work(n))
        except ValidationError as error:
            errors.append(error.code)
        except Exception as error:  # a deadlock or a constraint violation lands here and fails the test
            errors.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return results, errors


postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_batches_made_at_once_never_take_an_invoice_twice(world):
    organiser, account, finance, a, b = world

    def work(n):
        with frozen_at(IN_MARCH):
            return create_batch(organiser=organiser, execution_date=PAY_DAY, created_by=finance).pk

    made, errors = run_at_once(6, work)

    assert len(made) == 1 and errors == ["nothing_to_pay"] * 5
    assert sorted(Payment.objects.values_list("invoice_id", "batch_id")) == [(a.pk, made[0]), (b.pk, made[0])]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_same_notification_sent_at_once_is_applied_once(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    data = bank_notification(batch)

    records, errors = run_at_once(6, lambda n: imported(organiser, finance, data, filename=f"copy-{n}.xml").pk)

    assert errors == [] and len(set(records)) == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 3
    assert paid_totals(account) == [Decimal("250.00"), Decimal("40.00")]
    assert ledger.verify() == []


# --- Every notification of a payment is kept ---------------------------------------------------------------------


def notices(payment) -> list[tuple]:
    return list(
        PaymentNotice.objects.filter(payment=payment)
        .order_by("pk")
        .values_list("notification__filename", "outcome", "is_return", "return_reason")
    )


def test_every_notification_of_a_payment_is_kept_in_order_and_a_repeat_pays_nothing(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    payment_a, payment_b = Payment.objects.get(batch=batch, invoice=a), Payment.objects.get(batch=batch, invoice=b)

    first = imported(organiser, finance, bank_notification(batch, message_id="NTF-1"), filename="booked.xml")
    returned = imported(
        organiser, finance, bank_notification(batch, message_id="NTF-2", returns={payment_a.end_to_end_id: "AC01"}),
        filename="returned.xml",
    )
    after_return = (paid_totals(account), sorted(LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list("amount", flat=True)))
    repeated = imported(organiser, finance, bank_notification(batch, message_id="NTF-3"), filename="repeated.xml")

    # Paid by the first file, returned by the second, notified again by the third: three rows, in that order.
    assert notices(payment_a) == [
        ("booked.xml", NoticeOutcome.PAID, False, ""),
        ("returned.xml", NoticeOutcome.ALREADY_PAID, False, ""),  # the return file also lists the booking
        ("returned.xml", NoticeOutcome.RETURNED, True, "AC01"),
        ("repeated.xml", NoticeOutcome.ALREADY_RETURNED, False, ""),
    ]
    assert notices(payment_b) == [
        ("booked.xml", NoticeOutcome.PAID, False, ""),
        ("returned.xml", NoticeOutcome.ALREADY_PAID, False, ""),
        ("repeated.xml", NoticeOutcome.ALREADY_PAID, False, ""),
    ]
    # The repeat changed nothing: no money, no status; the payment still names the file that last changed it.
    assert repeated.lines_posted == 0
    assert (paid_totals(account), sorted(LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).values_list("amount", flat=True))) == after_return
    assert status(payment_a) == PaymentStatus.RETURNED and status(payment_b) == PaymentStatus.PAID
    assert Payment.objects.get(pk=payment_a.pk).notification_id == returned.pk
    assert Payment.objects.get(pk=payment_b.pk).notification_id == first.pk
    booked = PaymentNotice.objects.get(payment=payment_a, notification=first)
    assert (booked.amount, booked.currency, booked.booking_date) == (Decimal("140.00"), "EUR", PAY_DAY)
    assert PaymentNotice.objects.filter(outcome=NoticeOutcome.PAID).count() == 2  # each payment paid once

    # The very same file again is the first import: not even a notice is added.
    before = db_snapshot()
    assert imported(organiser, finance, bank_notification(batch, message_id="NTF-3"), filename="again.xml").pk == repeated.pk
    assert db_snapshot() == before
    assert ledger.verify() == []


def test_entries_that_change_nothing_are_kept_too_and_unknown_ids_are_not(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    payment_b = Payment.objects.get(batch=batch, invoice=b)
    received = parse_pain001(bytes(batch.pain001))
    tampered = dataclasses.replace(
        received,
        payments=tuple(
            dataclasses.replace(p, amount=p.amount + 1) if p.end_to_end_id == payment_b.end_to_end_id else p
            for p in received.payments
        ),
    )
    data = build_camt054(tampered, message_id="NTF-1", created_at=dt.datetime(2025, 4, 1, 18, 0), booking_date=PAY_DAY)
    imported(organiser, finance, data)
    assert [outcome for _file, outcome, _ret, _reason in notices(payment_b)] == [NoticeOutcome.AMOUNT_MISMATCH]
    assert status(payment_b) == PaymentStatus.PENDING
    assert PaymentNotice.objects.count() == 2


def test_the_database_keeps_one_paid_and_one_returned_notice_per_payment(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    record = imported(organiser, finance, bank_notification(batch, message_id="NTF-1"))
    other = imported(organiser, finance, bank_notification(batch, message_id="NTF-2"))
    paid = PaymentNotice.objects.filter(outcome=NoticeOutcome.PAID).first()

    def add(outcome, *, is_return=False, notification=other, position=None):
        with transaction.atomic():
            PaymentNotice.objects.create(
                organiser=organiser, payment=paid.payment, notification=notification, position=position,
                outcome=outcome, is_return=is_return, recorded_at=ON_PAY_DAY,
            )

    add(NoticeOutcome.RETURNED, is_return=True)  # the first return of a payment: allowed
    for refused_row in (
        {"outcome": NoticeOutcome.PAID},  # paid twice
        {"outcome": NoticeOutcome.RETURNED, "is_return": True},  # paid back twice
        {"outcome": NoticeOutcome.ALREADY_PAID, "notification": record, "position": paid.position},  # a transaction twice
        {"outcome": NoticeOutcome.PAID, "is_return": True, "notification": record},  # "paid" by a return
        {"outcome": "paid twice"},  # no such outcome
    ):
        with pytest.raises(IntegrityError):
            add(**refused_row)


def test_notices_of_payments_made_before_they_were_kept_are_filled_in(world):
    import importlib

    from django.apps import apps as django_apps

    fill = importlib.import_module("avain.accounts.migrations.0008_payment_notices").notices_of_earlier_payments
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    payment_a, payment_b = Payment.objects.get(batch=batch, invoice=a), Payment.objects.get(batch=batch, invoice=b)
    imported(organiser, finance, bank_notification(batch, message_id="NTF-1"), filename="booked.xml")
    imported(organiser, finance, bank_notification(batch, message_id="NTF-2", returns={payment_a.end_to_end_id: "AC01"}),
             filename="returned.xml")
    PaymentNotice.objects.all().delete()

    fill(django_apps, None)

    assert notices(payment_a) == [("booked.xml", NoticeOutcome.PAID, False, ""), ("returned.xml", NoticeOutcome.RETURNED, True, "")]
    assert notices(payment_b) == [("booked.xml", NoticeOutcome.PAID, False, "")]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_different_files_with_the_same_booking_sent_at_once_pay_once(world):
    organiser, account, finance, a, b = world
    batch = exported(organiser, finance)
    files = [bank_notification(batch, message_id=f"NTF-{n}") for n in range(4)]

    records, errors = run_at_once(4, lambda n: imported(organiser, finance, files[n], filename=f"file-{n}.xml").pk)

    assert errors == [] and len(set(records)) == 4
    assert PaymentNotice.objects.filter(outcome=NoticeOutcome.PAID).count() == 2
    assert PaymentNotice.objects.filter(outcome=NoticeOutcome.ALREADY_PAID).count() == 6
    assert LedgerEntry.objects.filter(kind=EntryKind.PAYMENT).count() == 3
    assert paid_totals(account) == [Decimal("250.00"), Decimal("40.00")]
    assert ledger.verify() == []
