"""SEPA credit transfer initiation (ISO 20022 pain.001) from a :class:`PaymentBatch`.

pain.001.001.03 is what Finnish banks take (the default); pain.001.001.09 is written on request. Either way the file
is checked against the official schema in ``schemas/`` before it is returned, so a file that leaves Avain is valid.

One batch is one message with one payment information block: one debtor account, one execution date, service level
SEPA, charges shared (SLEV), batch booking. Each payment carries a structured reference (``SCOR``; an RF reference
also ``Issr`` ISO) when it has one, else an unstructured message of at most 140 characters.

:func:`check_batch` lists every problem with a batch (row = the payment's 1-based position) without building
anything, so the caller can take the bad payments out and send the rest; :func:`build_pain001` refuses a batch that
has any. Text is written in the SEPA character set (:mod:`avain.accounts.formats.sepa_text`); amounts are Decimal
euros with exactly two decimals, never rounded here: an amount finer than a cent is refused.

:func:`parse_pain001` reads such a file back (for tests, and for the bank side of :func:`camt054.build_camt054`).
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError

from avain.accounts.formats import references
from avain.accounts.formats.errors import BuildError, FileFormatError, FormatError
from avain.accounts.formats.safexml import describe_schema_error, localname, parse_untrusted, schema_errors
from avain.accounts.formats.sepa_text import SepaTextError, is_sepa_identifier, to_sepa_text
from avain.core.money import CENT, ZERO, money_sum

V03 = "pain.001.001.03"
V09 = "pain.001.001.09"
VERSIONS = (V03, V09)
MAX_AMOUNT = Decimal("999999999.99")  # the EPC's largest SEPA credit transfer
NAME_LENGTH = 70  # the EPC limits names to 70 characters, though the schema allows 140
MESSAGE_LENGTH = 140


def namespace(version: str) -> str:
    return f"urn:iso:std:iso:20022:tech:xsd:{version}"


@dataclass(frozen=True)
class Payment:
    end_to_end_id: str
    creditor_name: str
    creditor_iban: str
    amount: Decimal
    creditor_bic: str | None = None
    reference: str | None = None  # Finnish or RF reference: written structured
    message: str | None = None  # unstructured remittance, when there is no reference


@dataclass(frozen=True)
class PaymentBatch:
    message_id: str
    created_at: dt.datetime
    debtor_name: str
    debtor_iban: str
    debtor_bic: str
    execution_date: dt.date
    payments: tuple[Payment, ...]
    currency: str = "EUR"

    @property
    def control_sum(self) -> Decimal:
        return money_sum(payment.amount for payment in self.payments)

    @property
    def number_of_transactions(self) -> int:
        return len(self.payments)


# ---------------------------------------------------------------------------------------------------------------
# Checking and writing


def check_batch(batch: PaymentBatch) -> list[FormatError]:
    """Every problem that stops ``batch`` from becoming a valid SEPA file; empty when it can be built."""
    errors: list[FormatError] = []

    def error(code, message, field, row=None, **params):
        errors.append(FormatError(code, message, row=row, field=field, params=params))

    _check_identifier(batch.message_id, "message_id", None, error)
    if batch.currency != "EUR":
        error("currency_not_eur", f"SEPA credit transfers are in euros, not {batch.currency}.", "currency")
    _check_name(batch.debtor_name, "debtor_name", None, error)
    _check_iban(batch.debtor_iban, "debtor_iban", None, error)
    if not batch.debtor_bic:
        error("missing_bic", "The paying account's BIC is needed.", "debtor_bic")
    else:
        _check_bic(batch.debtor_bic, "debtor_bic", None, error)
    if not isinstance(batch.created_at, dt.datetime):
        error("invalid_date", "The creation time must be a date and time.", "created_at")
    if not isinstance(batch.execution_date, dt.date) or isinstance(batch.execution_date, dt.datetime):
        error("invalid_date", "The execution date must be a date.", "execution_date")
    if not batch.payments:
        error("no_payments", "The batch has no payments.", "payments")

    seen: dict[str, int] = {}
    for number, payment in enumerate(batch.payments, start=1):
        _check_identifier(payment.end_to_end_id, "end_to_end_id", number, error)
        if payment.end_to_end_id in seen:
            error("duplicate_end_to_end_id",
                  f"The end-to-end id “{payment.end_to_end_id}” is also used by payment {seen[payment.end_to_end_id]}.",
                  "end_to_end_id", number, other=seen[payment.end_to_end_id])
        seen.setdefault(payment.end_to_end_id, number)
        _check_name(payment.creditor_name, "creditor_name", number, error)
        _check_iban(payment.creditor_iban, "creditor_iban", number, error)
        if payment.creditor_bic:
            _check_bic(payment.creditor_bic, "creditor_bic", number, error)
        _check_amount(payment.amount, number, error)
        if payment.reference and payment.message:
            error("remittance_both",
                  "A SEPA payment carries either a reference or a message, not both.", "message", number)
        if payment.reference:
            try:
                references.validate_reference(payment.reference)
            except references.ReferenceError as problem:
                error("invalid_reference", str(problem), "reference", number, value=payment.reference)
        if payment.message:
            _check_text(payment.message, "message", number, MESSAGE_LENGTH, error)
    if not any(e.field == "amount" for e in errors) and batch.payments:
        total = batch.control_sum
        if total > Decimal("9" * 16 + ".99"):
            error("control_sum_too_large", "The batch's total is too large for one file.", "payments")
    return errors


def _check_identifier(value, field, row, error):
    if not isinstance(value, str) or not 1 <= len(value) <= 35 or not is_sepa_identifier(value):
        error("invalid_identifier",
              f"{field} “{value}” must be 1–35 characters of the SEPA set (letters a–z, digits, / - ? : ( ) . , ' +), "
              "with no spaces, no “//”, and no “/” at either end.", field, row, value=value)


def _check_name(value, field, row, error):
    if not isinstance(value, str) or not value.strip():
        error("missing_name", f"{field} is empty.", field, row)
        return
    _check_text(value, field, row, NAME_LENGTH, error)


def _check_text(value, field, row, limit, error):
    try:
        text = to_sepa_text(value)
    except SepaTextError as problem:
        error("unsupported_character", str(problem), field, row, characters=problem.characters)
        return
    if len(text) > limit:
        error("text_too_long", f"{field} is {len(text)} characters; a SEPA payment takes at most {limit}.", field, row,
              limit=limit)


def _check_iban(value, field, row, error):
    try:
        stdnum_iban.validate(value or "")
    except StdnumValidationError:
        error("invalid_iban", f"“{value}” is not a valid IBAN.", field, row, value=value)


def _check_bic(value, field, row, error):
    try:
        stdnum_bic.validate(value)
    except StdnumValidationError:
        error("invalid_bic", f"“{value}” is not a valid BIC.", field, row, value=value)


def _check_amount(value, row, error):
    if not isinstance(value, Decimal) or not value.is_finite():
        error("invalid_amount", f"The amount must be a Decimal of euros, not {value!r}.", "amount", row)
    elif value <= ZERO:
        error("invalid_amount", f"The amount must be more than zero, not {value}.", "amount", row)
    elif value != value.quantize(CENT):
        error("invalid_amount", f"The amount {value} is finer than a cent.", "amount", row)
    elif value > MAX_AMOUNT:
        error("invalid_amount", f"The amount {value} is more than a SEPA credit transfer can carry.", "amount", row)


def build_pain001(batch: PaymentBatch, *, version: str = V03) -> bytes:
    """The pain.001 file (UTF-8) for ``batch``; :class:`BuildError` with every problem when it cannot be built."""
    if version not in VERSIONS:
        raise ValueError(f"unknown pain.001 version {version!r}; use one of {VERSIONS}")
    errors = check_batch(batch)
    if errors:
        raise BuildError(errors)
    ns = namespace(version)

    def sub(parent, tag, text=None, **attributes):
        elem = etree.SubElement(parent, f"{{{ns}}}{tag}", **attributes)
        if text is not None:
            elem.text = text
        return elem

    def agent(parent, tag, bic):
        institution = sub(sub(parent, tag), "FinInstnId")
        sub(institution, "BIC" if version == V03 else "BICFI", stdnum_bic.compact(bic))

    def account(parent, tag, iban):
        sub(sub(sub(parent, tag), "Id"), "IBAN", stdnum_iban.compact(iban))

    root = etree.Element(f"{{{ns}}}Document", nsmap={None: ns})
    initiation = sub(root, "CstmrCdtTrfInitn")
    header = sub(initiation, "GrpHdr")
    sub(header, "MsgId", batch.message_id)
    sub(header, "CreDtTm", _datetime_text(batch.created_at))
    sub(header, "NbOfTxs", str(batch.number_of_transactions))
    sub(header, "CtrlSum", _amount_text(batch.control_sum))
    sub(sub(header, "InitgPty"), "Nm", to_sepa_text(batch.debtor_name))

    information = sub(initiation, "PmtInf")
    sub(information, "PmtInfId", batch.message_id)
    sub(information, "PmtMtd", "TRF")
    sub(information, "BtchBookg", "true")
    sub(information, "NbOfTxs", str(batch.number_of_transactions))
    sub(information, "CtrlSum", _amount_text(batch.control_sum))
    sub(sub(sub(information, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    execution = sub(information, "ReqdExctnDt", batch.execution_date.isoformat() if version == V03 else None)
    if version != V03:
        sub(execution, "Dt", batch.execution_date.isoformat())
    sub(sub(information, "Dbtr"), "Nm", to_sepa_text(batch.debtor_name))
    account(information, "DbtrAcct", batch.debtor_iban)
    agent(information, "DbtrAgt", batch.debtor_bic)
    sub(information, "ChrgBr", "SLEV")

    for payment in batch.payments:
        transaction = sub(information, "CdtTrfTxInf")
        sub(sub(transaction, "PmtId"), "EndToEndId", payment.end_to_end_id)
        sub(sub(transaction, "Amt"), "InstdAmt", _amount_text(payment.amount), Ccy=batch.currency)
        if payment.creditor_bic:
            agent(transaction, "CdtrAgt", payment.creditor_bic)
        sub(sub(transaction, "Cdtr"), "Nm", to_sepa_text(payment.creditor_name))
        account(transaction, "CdtrAcct", payment.creditor_iban)
        if payment.reference:
            kind, reference = references.validate_reference(payment.reference)
            creditor_reference = sub(sub(sub(transaction, "RmtInf"), "Strd"), "CdtrRefInf")
            reference_type = sub(creditor_reference, "Tp")
            sub(sub(reference_type, "CdOrPrtry"), "Cd", "SCOR")
            if kind == references.RF:
                sub(reference_type, "Issr", "ISO")
            sub(creditor_reference, "Ref", reference)
        elif payment.message:
            sub(sub(transaction, "RmtInf"), "Ustrd", to_sepa_text(payment.message))

    problems = schema_errors(root, f"{version}.xsd")
    if problems:  # check_batch should have caught everything; this is the last guard before a bank sees the file
        raise BuildError([FormatError("schema", describe_schema_error(problem)) for problem in problems])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _amount_text(value: Decimal) -> str:
    """Exactly two decimals. ``check_batch`` has refused anything finer than a cent, so nothing is rounded here."""
    if value != value.quantize(CENT):
        raise ValueError(f"{value} is finer than a cent")
    return f"{value.quantize(CENT):f}"


def _datetime_text(value: dt.datetime) -> str:
    return value.replace(microsecond=0).isoformat()


# ---------------------------------------------------------------------------------------------------------------
# Reading back


def parse_pain001(data: bytes) -> PaymentBatch:
    """Read a pain.001 file with one payment information block, as written by :func:`build_pain001`.
    ``FileFormatError`` when the file is not such a file or breaks its schema."""
    root = parse_untrusted(data, what="a pain.001 payment file")
    version = etree.QName(root).namespace or ""
    version = version.rsplit(":", 1)[-1]
    if localname(root) != "Document" or version not in VERSIONS:
        raise FileFormatError(FormatError("not_pain001", "The file is not a pain.001.001.03 or .09 payment file."))
    problems = schema_errors(root, f"{version}.xsd")
    if problems:
        raise FileFormatError(
            FormatError("schema", f"Not a valid {version} file: {describe_schema_error(problems[0])}",
                        params={"detail": describe_schema_error(problems[0])})
        )
    ns = {"p": namespace(version)}

    def text(elem, path):
        found = elem.find(path, ns)
        return found.text.strip() if found is not None and found.text is not None else None

    informations = root.findall("p:CstmrCdtTrfInitn/p:PmtInf", ns)
    if len(informations) != 1:
        raise FileFormatError(FormatError("several_payment_blocks", "Only files with one PmtInf block are read."))
    information = informations[0]
    bic_tag = "p:BIC" if version == V03 else "p:BICFI"
    execution = text(information, "p:ReqdExctnDt") if version == V03 else text(information, "p:ReqdExctnDt/p:Dt")
    payments = []
    currency = "EUR"
    for transaction in information.findall("p:CdtTrfTxInf", ns):
        amount = transaction.find("p:Amt/p:InstdAmt", ns)
        currency = amount.get("Ccy")
        payments.append(
            Payment(
                end_to_end_id=text(transaction, "p:PmtId/p:EndToEndId"),
                creditor_name=text(transaction, "p:Cdtr/p:Nm"),
                creditor_iban=text(transaction, "p:CdtrAcct/p:Id/p:IBAN"),
                amount=Decimal(amount.text.strip()),
                creditor_bic=text(transaction, f"p:CdtrAgt/p:FinInstnId/{bic_tag}"),
                reference=text(transaction, "p:RmtInf/p:Strd/p:CdtrRefInf/p:Ref"),
                message=text(transaction, "p:RmtInf/p:Ustrd"),
            )
        )
    return PaymentBatch(
        message_id=text(root, "p:CstmrCdtTrfInitn/p:GrpHdr/p:MsgId"),
        created_at=dt.datetime.fromisoformat(text(root, "p:CstmrCdtTrfInitn/p:GrpHdr/p:CreDtTm")),
        debtor_name=text(information, "p:Dbtr/p:Nm"),
        debtor_iban=text(information, "p:DbtrAcct/p:Id/p:IBAN"),
        debtor_bic=text(information, f"p:DbtrAgt/p:FinInstnId/{bic_tag}"),
        execution_date=dt.date.fromisoformat(execution),
        payments=tuple(payments),
        currency=currency,
    )


def control_totals(data: bytes) -> tuple[int, Decimal]:
    """``(NbOfTxs, CtrlSum)`` from the group header of a pain.001 file, as a bank reads them."""
    root = parse_untrusted(data, what="a pain.001 payment file")
    header = root.find("{*}CstmrCdtTrfInitn/{*}GrpHdr")
    return int(header.find("{*}NbOfTxs").text), Decimal(header.find("{*}CtrlSum").text)
