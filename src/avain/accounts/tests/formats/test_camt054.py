"""camt.054 notifications: reading, per-entry errors, and batch → pain.001 → camt.054 → matched payments."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from lxml import etree

from avain.accounts.formats.camt054 import (
    BOOKED,
    CREDIT,
    DEBIT,
    PENDING,
    build_camt054,
    match_payments,
    parse_camt054,
)
from avain.accounts.formats.pain001 import Payment, PaymentBatch, build_pain001, parse_pain001
from avain.accounts.formats.safexml import SCHEMA_DIR
from avain.accounts.tests.formats.strategies import payment_batches

SAMPLE = Path(__file__).parent / "data" / "camt054_sample.xml"
SCHEMA = xmlschema.XMLSchema(str(SCHEMA_DIR / "camt.054.001.02.xsd"))


def a_batch(**changes) -> PaymentBatch:
    values = dict(
        message_id="AVAIN-20250303-1",
        created_at=dt.datetime(2025, 3, 3, 9, 30),
        debtor_name="Keski-Suomen hyvinvointialue",
        debtor_iban="FI0447112200012340",
        debtor_bic="OKOYFIHH",
        execution_date=dt.date(2025, 3, 4),
        payments=(
            Payment("INV-4471", "Kotiapu Sinivuokko Oy", "FI2112345600000785", Decimal("350.70"), "NDEAFIHH",
                    reference="20250018"),
            Payment("INV-4472", "Hoiva ja Apu Oy", "FI2112345600000785", Decimal("0.10"), reference="RF0920250018"),
            Payment("INV-4473", "Taksi Olstad", "FI2112345600000785", Decimal("1234567.20"), message="Laskut 12, 13"),
        ),
    )
    values.update(changes)
    return PaymentBatch(**values)


def bank_notification(batch: PaymentBatch, **options) -> bytes:
    """What the bank sends back: it reads the pain.001 file it was given, not Avain's dataclass."""
    received = parse_pain001(build_pain001(batch))
    return build_camt054(received, message_id="NTF-1", created_at=dt.datetime(2025, 3, 4, 18, 0),
                         booking_date=dt.date(2025, 3, 4), **options)


def edited(data: bytes, change) -> bytes:
    root = etree.fromstring(data)
    change(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# --- the whole round ---------------------------------------------------------------------------------------------


def test_a_batch_sent_as_pain_001_comes_back_paid_in_the_banks_camt_054():
    batch = a_batch()
    data = bank_notification(batch)

    SCHEMA.validate(data)
    result = parse_camt054(data)
    assert result.errors == ()
    entries = result.entries
    assert [e.end_to_end_id for e in entries] == ["INV-4471", "INV-4472", "INV-4473"]
    assert [e.amount for e in entries] == [Decimal("350.70"), Decimal("0.10"), Decimal("1234567.20")]
    assert {(e.status, e.credit_debit, e.booking_date, e.original_message_id, e.currency) for e in entries} == {
        (BOOKED, DEBIT, dt.date(2025, 3, 4), "AVAIN-20250303-1", "EUR")}
    assert entries[0].counterparty_name == "Kotiapu Sinivuokko Oy"
    assert entries[0].reference == "20250018"

    match = match_payments(batch, entries)
    assert match.paid_ids == {"INV-4471", "INV-4472", "INV-4473"}
    assert match.returned_ids == set()
    assert match.problems == () and match.unmatched == ()


def test_a_returned_payment_is_reported_as_returned_not_paid():
    batch = a_batch()
    result = parse_camt054(bank_notification(batch, returns={"INV-4472": "AC04"}))

    returned = [e for e in result.entries if e.credit_debit == CREDIT]
    assert [(e.end_to_end_id, e.return_reason, e.amount) for e in returned] == [("INV-4472", "AC04", Decimal("0.10"))]
    assert returned[0].counterparty_name == "Hoiva ja Apu Oy"
    match = match_payments(batch, result.entries)
    assert match.paid_ids == {"INV-4471", "INV-4473"}
    assert match.returned_ids == {"INV-4472"}


def test_a_booked_amount_that_differs_from_the_payment_is_a_problem_not_a_payment():
    batch = a_batch()
    notified = a_batch(payments=(batch.payments[0], batch.payments[1].__class__(
        **{**batch.payments[1].__dict__, "amount": Decimal("0.11")}), batch.payments[2]))
    entries = parse_camt054(build_camt054(notified, message_id="N", created_at=dt.datetime(2025, 3, 4),
                                          booking_date=dt.date(2025, 3, 4))).entries

    match = match_payments(batch, entries)

    assert match.paid_ids == {"INV-4471", "INV-4473"}
    assert [(p.code, p.params["end_to_end_id"]) for p in match.problems] == [("amount_mismatch", "INV-4472")]


def test_entries_of_another_batch_are_left_unmatched():
    entries = parse_camt054(bank_notification(a_batch(message_id="AVAIN-OTHER"))).entries

    match = match_payments(a_batch(), entries)

    assert match.paid == () and len(match.unmatched) == 3


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payment_batches())
def test_any_batch_comes_back_fully_paid_with_exact_amounts(batch):
    data = build_camt054(parse_pain001(build_pain001(batch)), message_id="NTF-1",
                         created_at=dt.datetime(2025, 3, 4, 18, 0), booking_date=batch.execution_date)

    SCHEMA.validate(data)
    result = parse_camt054(data)
    assert result.errors == ()
    match = match_payments(batch, result.entries)
    assert match.paid_ids == {payment.end_to_end_id for payment in batch.payments}
    assert sum((entry.amount for _, entry in match.paid), Decimal(0)) == batch.control_sum


# --- a notification written by hand ------------------------------------------------------------------------------


def test_a_hand_written_notification_is_read_entry_by_entry():
    result = parse_camt054(SAMPLE.read_bytes())

    assert result.errors == ()
    notification = result.notifications[0]
    assert (notification.message_id, notification.account_iban) == ("NTF2025030400012", "FI0447112200012340")
    first, second, pending, incoming = result.entries
    assert (first.end_to_end_id, first.amount, first.account_servicer_reference) == (
        "INV-4471", Decimal("350.70"), "250304593497K00001")
    assert (second.amount, second.booking_date) == (Decimal("0.10"), dt.date(2025, 3, 4))  # from Ntry/Amt, DtTm
    assert (pending.status, pending.booking_date) == (PENDING, None)
    assert (incoming.credit_debit, incoming.message) == (CREDIT, "Asiakasmaksu helmikuu")

    match = match_payments(a_batch(), result.entries)
    assert match.paid_ids == {"INV-4471", "INV-4472"}  # INV-4473 is still pending
    assert [e.end_to_end_id for e in match.unmatched] == ["NOTPROVIDED"]


def test_a_broken_entry_fails_alone_and_the_others_are_kept():
    def break_second(root):
        root.findall(".//{*}Ntry")[1].find("{*}CdtDbtInd").text = "DEBIT"

    result = parse_camt054(edited(SAMPLE.read_bytes(), break_second))

    assert [(e.row, e.code) for e in result.errors] == [(2, "entry_schema")]
    assert result.failed_entries == (2,)
    assert [e.entry_number for e in result.entries] == [1, 3, 4]


def test_a_batch_entry_whose_transactions_do_not_add_up_fails():
    def change_total(root):
        root.find(".//{*}Ntry/{*}Amt").text = "1234917.99"

    result = parse_camt054(edited(bank_notification(a_batch()), change_total))

    assert [(e.row, e.code) for e in result.errors] == [(1, "entry_amount_mismatch")]
    assert result.entries == ()


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "file_empty"),
        (b"not xml", "not_xml"),
        (None, "not_camt054"),  # a pain.001 file uploaded by mistake
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>', "not_camt054"),
        (b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>', "xml_unsafe"),
    ],
)
def test_a_file_that_is_not_a_camt_054_notification_gives_one_file_level_error(data, code):
    if data is None:
        data = build_pain001(a_batch())

    result = parse_camt054(data)

    assert result.notifications == ()
    assert [(e.row, e.code) for e in result.errors] == [(None, code)]


def test_a_schema_error_outside_the_entries_fails_the_file():
    result = parse_camt054(edited(SAMPLE.read_bytes(), lambda root: root.find(".//{*}GrpHdr/{*}MsgId").getparent()
                                  .remove(root.find(".//{*}GrpHdr/{*}MsgId"))))

    assert result.notifications == ()
    assert [(e.row, e.code) for e in result.errors] == [(None, "schema")]


def test_returns_must_name_payments_of_the_batch():
    with pytest.raises(ValueError):
        bank_notification(a_batch(), returns={"NOPE": "AC04"})


def test_nanosecond_timestamps_are_read_to_the_microsecond():
    def precise(root):
        for elem in root.iter("{*}CreDtTm"):
            elem.text = "2025-03-04T18:02:11.123456789+02:00"

    result = parse_camt054(edited(SAMPLE.read_bytes(), precise))

    assert result.errors == ()
    assert result.notifications[0].created_at == dt.datetime(
        2025, 3, 4, 18, 2, 11, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
