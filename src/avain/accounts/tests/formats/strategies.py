"""Hypothesis strategies for the format modules' dataclasses: only values the formats must carry unchanged."""

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from avain.accounts.formats.finvoice import InvoiceMessage, InvoiceRow
from avain.accounts.formats.pain001 import Payment, PaymentBatch
from avain.accounts.formats.references import finnish_reference, rf_reference
from avain.core.identifiers import business_id, finnish_iban
from avain.core.money import money_sum, round_money

BICS = ("NDEAFIHH", "OKOYFIHH", "DABAFIHH", "HELSFIHH", "AABAFI22", "POPFFI22")
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))

# Letters (Finnish and others), digits, punctuation and inner spaces; no control characters, nothing XML cannot hold.
_characters = st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\u2028\u2029")


def texts(min_size: int = 1, max_size: int = 35) -> st.SearchStrategy[str]:
    """Text as a person types it: no whitespace at either end (readers strip it)."""
    return (
        st.text(_characters, min_size=min_size, max_size=max_size)
        .map(str.strip)
        .filter(lambda text: min_size <= len(text) <= max_size)
    )


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda value: Decimal(value).scaleb(-2))


business_ids = st.integers(0, 9_999_999).map(business_id).filter(lambda code: code is not None)
ibans = st.from_regex(r"\A[0-9]{13}\Z").map(finnish_iban)
finnish_references = st.integers(100, 10**18).map(lambda base: finnish_reference(str(base)))
references = st.one_of(st.none(), finnish_references, finnish_references.map(rf_reference))


@st.composite
def invoice_rows(draw, number: int) -> InvoiceRow:
    quantity = draw(st.integers(1, 99_999).map(lambda value: Decimal(value).scaleb(-draw(st.integers(0, 2)))))
    unit_price = draw(st.integers(1, 10**9).map(lambda value: Decimal(value).scaleb(-draw(st.integers(2, 5)))))
    vat_rate = draw(st.sampled_from([None, Decimal("0"), Decimal("10"), Decimal("14"), Decimal("25.5")]))
    excluded = round_money(quantity * unit_price)
    with_vat = round_money(excluded * (100 + (vat_rate or 0)) / 100)
    vat_free = vat_rate in (None, Decimal("0"))
    amount = draw(st.sampled_from([with_vat, None])) if vat_free else with_vat
    start = draw(st.none() | dates)
    end = None if start is None else draw(st.none() | dates.filter(lambda day: day >= start))
    return InvoiceRow(
        number=number,
        unit_price=unit_price,
        quantity=quantity,
        unit_code=draw(st.none() | st.sampled_from(["h", "kpl", "krt", "vrk", "km"])),
        article_id=draw(st.none() | texts(1, 70)),
        article_name=draw(st.none() | texts(1, 100)),
        vat_rate=vat_rate,
        amount=amount,
        amount_vat_excluded=excluded if amount is None else draw(st.sampled_from([excluded, None])),
        delivery_date=draw(st.none() | dates),
        start_date=start,
        end_date=end,
        buyer_reference=draw(st.none() | texts(1, 70)),
        free_text=tuple(draw(st.lists(texts(1, 512), max_size=2))),
    )


@st.composite
def invoices(draw) -> InvoiceMessage:
    count = draw(st.integers(1, 6))
    rows = tuple(draw(invoice_rows(number)) for number in range(1, count + 1))
    invoice_date = draw(dates)
    return InvoiceMessage(
        seller_business_id=draw(business_ids),
        seller_name=draw(texts(2, 70)),
        seller_iban=draw(ibans),
        seller_bic=draw(st.none() | st.sampled_from(BICS)),
        buyer_name=draw(texts(2, 70)),
        buyer_identifier=draw(st.none() | texts(1, 35)),
        buyer_reference=draw(st.none() | texts(1, 70)),
        invoice_number=draw(texts(1, 20)),
        invoice_date=invoice_date,
        due_date=draw(dates.filter(lambda day: day >= invoice_date)),
        reference=draw(references),
        total=money_sum(row.total for row in rows),
        rows=rows,
    )


# --- payments --------------------------------------------------------------------------------------------------

_SEPA_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_SEPA_SIGNS = "/-?:().,'+ "


def sepa_texts(min_size: int = 1, max_size: int = 70) -> st.SearchStrategy[str]:
    """Text already in the SEPA set, as the writer leaves it: single spaces, none at either end."""
    return (
        st.text(st.sampled_from(_SEPA_LETTERS + _SEPA_SIGNS), min_size=min_size, max_size=max_size)
        .map(lambda text: " ".join(text.split()))
        .filter(lambda text: min_size <= len(text) <= max_size)
    )


sepa_identifiers = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9?:().,'+-]{0,33}[A-Za-z0-9]\Z").filter(
    lambda value: len(value) <= 35
)
amounts = cents(1, 99_999_999_999)  # 0.01 – 999 999 999.99, the SEPA range
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0)
)


@st.composite
def payments(draw, end_to_end_id: str):
    remittance = draw(st.sampled_from(["reference", "message", "none"]))
    return Payment(
        end_to_end_id=end_to_end_id,
        creditor_name=draw(sepa_texts(1, 70)),
        creditor_iban=draw(ibans),
        amount=draw(amounts),
        creditor_bic=draw(st.none() | st.sampled_from(BICS)),
        reference=draw(st.one_of(finnish_references, finnish_references.map(rf_reference)))
        if remittance == "reference"
        else None,
        message=draw(sepa_texts(1, 140)) if remittance == "message" else None,
    )


@st.composite
def payment_batches(draw, max_payments: int = 12):
    ids = draw(st.lists(sepa_identifiers, min_size=1, max_size=max_payments, unique=True))
    return PaymentBatch(
        message_id=draw(sepa_identifiers),
        created_at=draw(moments),
        debtor_name=draw(sepa_texts(1, 70)),
        debtor_iban=draw(ibans),
        debtor_bic=draw(st.sampled_from(BICS)),
        execution_date=draw(dates),
        payments=tuple(draw(payments(end_to_end_id)) for end_to_end_id in ids),
    )
