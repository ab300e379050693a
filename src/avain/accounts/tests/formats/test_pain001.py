"""SEPA credit transfer initiation (pain.001): schema-valid files, exact sums, the SEPA character set."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from avain.accounts.formats.errors import BuildError
from avain.accounts.formats.pain001 import (
    V03,
    V09,
    Payment,
    PaymentBatch,
    build_pain001,
    check_batch,
    control_totals,
    parse_pain001,
)
from avain.accounts.formats.safexml import SCHEMA_DIR
from avain.accounts.formats.sepa_text import SEPA_CHARACTERS, SepaTextError, is_sepa_text, to_sepa_text
from avain.accounts.tests.formats.strategies import payment_batches

# The official schemas, loaded here on their own so the test does not lean on the module's own validation.
SCHEMAS = {version: xmlschema.XMLSchema(str(SCHEMA_DIR / f"{version}.xsd")) for version in (V03, V09)}


def a_batch(*payments: Payment, **changes) -> PaymentBatch:
    values = dict(
        message_id="AVAIN-20250303-1",
        created_at=dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        debtor_name="Keski-Suomen hyvinvointialue",
        debtor_iban="FI0447112200012340",
        debtor_bic="OKOYFIHH",
        execution_date=dt.date(2025, 3, 4),
        payments=payments
        or (
            Payment("INV-4471", "Kotiapu Sinivuokko Oy", "FI2112345600000785", Decimal("350.70"), "NDEAFIHH",
                    reference="20250018"),
            Payment("INV-4472", "Äänekosken Hoiva & Apu Oy", "FI2112345600000785", Decimal("0.10"),
                    reference="RF0920250018"),
            Payment("INV-4473", "Taksi Ølstad", "FI2112345600000785", Decimal("1234567.20"),
                    message="Laskut 12 ja 13"),
        ),
    )
    values.update(changes)
    return PaymentBatch(**values)


def tree(data: bytes):
    return etree.fromstring(data)


def find_all(data: bytes, name: str) -> list[str]:
    return [elem.text for elem in tree(data).iter(f"{{*}}{name}")]


@pytest.mark.parametrize("version", [V03, V09])
def test_a_batch_becomes_a_file_valid_against_the_official_schema(version):
    data = build_pain001(a_batch(), version=version)

    SCHEMAS[version].validate(data)  # raises on any violation
    assert tree(data).tag == f"{{urn:iso:std:iso:20022:tech:xsd:{version}}}Document"
    assert find_all(data, "NbOfTxs") == ["3", "3"]
    assert find_all(data, "CtrlSum") == ["1234918.00", "1234918.00"]
    assert find_all(data, "InstdAmt") == ["350.70", "0.10", "1234567.20"]
    assert find_all(data, "EndToEndId") == ["INV-4471", "INV-4472", "INV-4473"]
    assert find_all(data, "Cd") == ["SEPA", "SCOR", "SCOR"]
    assert find_all(data, "ChrgBr") == ["SLEV"]
    assert find_all(data, "BtchBookg") == ["true"]


def test_version_03_and_09_differ_where_the_standard_does():
    old, new = build_pain001(a_batch(), version=V03), build_pain001(a_batch(), version=V09)

    assert find_all(old, "BIC") == ["OKOYFIHH", "NDEAFIHH"] and find_all(old, "BICFI") == []
    assert find_all(new, "BICFI") == ["OKOYFIHH", "NDEAFIHH"] and find_all(new, "BIC") == []
    assert find_all(old, "ReqdExctnDt") == ["2025-03-04"]
    assert find_all(new, "Dt") == ["2025-03-04"]


def test_references_are_structured_and_rf_references_name_iso_as_issuer():
    transactions = tree(build_pain001(a_batch())).findall(".//{*}CdtTrfTxInf")

    finnish, rf, plain = (t.find("{*}RmtInf") for t in transactions)
    assert finnish.findtext("{*}Strd/{*}CdtrRefInf/{*}Ref") == "20250018"
    assert finnish.find("{*}Strd/{*}CdtrRefInf/{*}Tp/{*}Issr") is None
    assert rf.findtext("{*}Strd/{*}CdtrRefInf/{*}Ref") == "RF0920250018"
    assert rf.findtext("{*}Strd/{*}CdtrRefInf/{*}Tp/{*}Issr") == "ISO"
    assert plain.findtext("{*}Ustrd") == "Laskut 12 ja 13"
    assert plain.find("{*}Strd") is None


def test_finnish_letters_are_transliterated_into_the_sepa_set():
    data = build_pain001(a_batch())

    assert find_all(data, "Nm")[2:] == ["Kotiapu Sinivuokko Oy", "Aanekosken Hoiva + Apu Oy", "Taksi Olstad"]
    text = "".join(tree(data).itertext())
    assert is_sepa_text(" ".join(text.split()))


def test_the_creditor_bic_is_left_out_when_unknown():
    transactions = tree(build_pain001(a_batch())).findall(".//{*}CdtTrfTxInf")

    assert [t.find("{*}CdtrAgt") is not None for t in transactions] == [True, False, False]


def test_control_totals_are_read_back_as_a_bank_reads_them():
    assert control_totals(build_pain001(a_batch())) == (3, Decimal("1234918.00"))


# --- refusals ----------------------------------------------------------------------------------------------------

GOOD = Payment("OK-1", "Hyvä Hoiva Oy", "FI2112345600000785", Decimal("10.00"))


@pytest.mark.parametrize(
    ("payment", "code", "field"),
    [
        (Payment("P-2", "Hoiva Oy", "FI2112345600000786", Decimal("1.00")), "invalid_iban", "creditor_iban"),
        (Payment("P-2", "Hoiva Oy", "FI2112345600000785", Decimal("1.005")), "invalid_amount", "amount"),
        (Payment("P-2", "Hoiva Oy", "FI2112345600000785", 0.1), "invalid_amount", "amount"),
        (Payment("P-2", "Hoiva Oy", "FI2112345600000785", Decimal("0.00")), "invalid_amount", "amount"),
        (Payment("P-2", "Hoiva Oy", "FI2112345600000785", Decimal("1000000000.00")), "invalid_amount", "amount"),
        (Payment("P 2", "Hoiva Oy", "FI2112345600000785", Decimal("1.00")), "invalid_identifier", "end_to_end_id"),
        (Payment("P//2", "Hoiva Oy", "FI2112345600000785", Decimal("1.00")), "invalid_identifier", "end_to_end_id"),
        (Payment("OK-1", "Hoiva Oy", "FI2112345600000785", Decimal("1.00")), "duplicate_end_to_end_id",
         "end_to_end_id"),
        (Payment("P-2", "Hoiva € Oy", "FI2112345600000785", Decimal("1.00")), "unsupported_character",
         "creditor_name"),
        (Payment("P-2", "H" * 71, "FI2112345600000785", Decimal("1.00")), "text_too_long", "creditor_name"),
        (Payment("P-2", "Hoiva Oy", "FI2112345600000785", Decimal("1.00"), reference="1233"), "invalid_reference",
         "reference"),
        (Payment("P-2", "Hoiva Oy", "FI2112345600000785", Decimal("1.00"), reference="1232", message="x"),
         "remittance_both", "message"),
        (Payment("P-2", "Hoiva Oy", "FI2112345600000785", Decimal("1.00"), creditor_bic="NDEAXXHH"), "invalid_bic",
         "creditor_bic"),
    ],
)
def test_a_bad_payment_is_named_by_its_row_and_the_good_one_is_not(payment, code, field):
    errors = check_batch(a_batch(GOOD, payment))

    assert [(e.row, e.code, e.field) for e in errors] == [(2, code, field)]
    with pytest.raises(BuildError) as refused:
        build_pain001(a_batch(GOOD, payment))
    assert refused.value.codes == {code}


def test_every_problem_is_listed_at_once():
    batch = a_batch(
        Payment("P-1", "Hoiva Oy", "FI00", Decimal("1.001")),
        Payment("P-2", "Hoiva Oy", "FI2112345600000785", Decimal("2.00")),
        Payment("P 3", "Hoiva Oy", "FI2112345600000785", Decimal("3.00")),
        currency="SEK",
    )

    assert [(e.row, e.code) for e in check_batch(batch)] == [
        (None, "currency_not_eur"),
        (1, "invalid_iban"),
        (1, "invalid_amount"),
        (3, "invalid_identifier"),
    ]


def test_a_batch_without_payments_or_a_debtor_bic_is_refused():
    codes = {e.code for e in check_batch(a_batch(payments=(), debtor_bic=""))}
    assert codes == {"no_payments", "missing_bic"}


def test_an_unknown_version_is_refused():
    with pytest.raises(ValueError):
        build_pain001(a_batch(), version="pain.001.001.02")


# --- properties --------------------------------------------------------------------------------------------------

TWO_DECIMALS = re.compile(r"^[0-9]+\.[0-9]{2}$")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payment_batches(), st.sampled_from([V03, V09]))
def test_every_built_file_validates_and_its_control_sum_is_the_exact_sum(batch, version):
    data = build_pain001(batch, version=version)

    SCHEMAS[version].validate(data)
    amounts = find_all(data, "InstdAmt")
    assert all(TWO_DECIMALS.match(amount) for amount in amounts)
    exact = sum((payment.amount for payment in batch.payments), Decimal(0))
    assert find_all(data, "CtrlSum") == [f"{exact:.2f}"] * 2
    assert sum((Decimal(amount) for amount in amounts), Decimal(0)) == exact
    assert find_all(data, "NbOfTxs") == [str(len(batch.payments))] * 2
    assert parse_pain001(data) == batch


@given(st.lists(st.integers(1, 99), min_size=1, max_size=200))
def test_many_small_amounts_add_up_without_float_drift(cents_list):
    batch = a_batch(*(
        Payment(f"P-{index}", "Hoiva Oy", "FI2112345600000785", Decimal(value).scaleb(-2))
        for index, value in enumerate(cents_list)
    ))

    count, control_sum = control_totals(build_pain001(batch))

    assert (count, control_sum) == (len(cents_list), Decimal(sum(cents_list)).scaleb(-2))


@given(st.text(max_size=80))
def test_transliteration_gives_sepa_text_or_refuses_naming_the_characters(text):
    try:
        result = to_sepa_text(text)
    except SepaTextError as refused:
        assert refused.characters
        assert all(character not in SEPA_CHARACTERS for character in refused.characters)
    else:
        assert is_sepa_text(result)


@pytest.mark.parametrize(
    ("text", "sepa"),
    [
        ("Åbo Äldreomsorg", "Abo Aldreomsorg"),
        ("Müller  Straße", "Muller Strasse"),
        ("Café “Kaneli” & Co", "Cafe 'Kaneli' + Co"),
        ("Łódź Søndergaard", "Lodz Sondergaard"),
    ],
)
def test_common_european_letters_have_a_fixed_spelling(text, sepa):
    assert to_sepa_text(text) == sepa


@pytest.mark.parametrize("text", ["Hoiva € Oy", "Apu @ Koti", "漢字"])
def test_characters_without_a_spelling_are_refused_not_dropped(text):
    with pytest.raises(SepaTextError):
        to_sepa_text(text)
