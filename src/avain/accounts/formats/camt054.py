"""The bank's debit/credit notification (ISO 20022 camt.054.001.02, the version Finnish banks send).

:func:`parse_camt054` reads every transaction of every entry (``Ntry``) into a :class:`NotificationEntry`. A batch
booked as one entry with several transactions (``NtryDtls/TxDtls``) gives one NotificationEntry per transaction, each
with the entry's booking date, status and credit/debit indicator. Like the other readers it never raises for a bad
entry: problems come back per entry (``row`` = the entry's 1-based position in the file), the good entries are kept,
and a file that is not a camt.054 notification gives one file-level error. The file is checked against the vendored
XSD; a schema error inside an ``Ntry`` belongs to that entry.

:func:`build_camt054` writes the notification a bank would send for a pain.001 batch (tests, the demo), and
:func:`match_payments` pairs notified transactions with the batch's payments by end-to-end id and amount.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from avain.accounts.formats.errors import FileFormatError, FormatError
from avain.accounts.formats.pain001 import Payment, PaymentBatch
from avain.accounts.formats.safexml import describe_schema_error, localname, parse_untrusted, schema_errors
from avain.core.money import CENT, money_sum

VERSION = "camt.054.001.02"
NAMESPACE = f"urn:iso:std:iso:20022:tech:xsd:{VERSION}"
SCHEMA = f"{VERSION}.xsd"
_NS = {"c": NAMESPACE}
_FRACTION = re.compile(r"\.[0-9]+")

BOOKED = "BOOK"
PENDING = "PDNG"
INFO = "INFO"
DEBIT = "DBIT"
CREDIT = "CRDT"


@dataclass(frozen=True)
class NotificationEntry:
    entry_number: int  # the Ntry's position in the file, 1-based; shared by the transactions of a batch entry
    amount: Decimal
    currency: str
    credit_debit: str  # DBIT (money left the account) or CRDT
    status: str  # BOOK, PDNG or INFO
    booking_date: dt.date | None
    end_to_end_id: str | None = None
    original_message_id: str | None = None  # the pain.001 MsgId the bank reports, from the transaction or its batch
    payment_info_id: str | None = None
    value_date: dt.date | None = None
    account_servicer_reference: str | None = None
    reversal: bool = False
    counterparty_name: str | None = None
    counterparty_iban: str | None = None
    reference: str | None = None
    message: str | None = None
    return_reason: str | None = None  # RtrInf/Rsn/Cd of a returned payment, e.g. AC04

    @property
    def is_booked_debit(self) -> bool:
        return self.status == BOOKED and self.credit_debit == DEBIT and not self.reversal

    @property
    def is_return(self) -> bool:
        """The payment came back: a credit for it, or a reversed booking, or a stated return reason."""
        return self.return_reason is not None or self.reversal or self.credit_debit == CREDIT


@dataclass(frozen=True)
class Notification:
    message_id: str
    created_at: dt.datetime
    account_iban: str | None
    entries: tuple[NotificationEntry, ...]


@dataclass(frozen=True)
class Camt054Result:
    notifications: tuple[Notification, ...]
    errors: tuple[FormatError, ...] = ()

    @property
    def entries(self) -> tuple[NotificationEntry, ...]:
        return tuple(entry for notification in self.notifications for entry in notification.entries)

    @property
    def failed_entries(self) -> tuple[int, ...]:
        return tuple(sorted({error.row for error in self.errors if error.row is not None}))


# ---------------------------------------------------------------------------------------------------------------
# Reading


def parse_camt054(data: bytes) -> Camt054Result:
    try:
        root = parse_untrusted(data, what="a camt.054 notification")
    except FileFormatError as error:
        return Camt054Result((), (error.error,))
    namespace = etree.QName(root).namespace if isinstance(root.tag, str) else None
    if localname(root) != "Document" or namespace != NAMESPACE:
        found = f"{{{namespace}}}{localname(root)}" if namespace else localname(root)
        return Camt054Result(
            (),
            (FormatError("not_camt054", f"The file is not a {VERSION} notification (its root is “{found}”).",
                         params={"root": found}),),
        )

    entry_elems = root.findall("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn/c:Ntry", _NS)
    position = {id(elem): number for number, elem in enumerate(entry_elems, start=1)}
    schema_by_entry: dict[int, list[FormatError]] = {}
    file_errors: list[FormatError] = []
    for problem in schema_errors(root, SCHEMA):
        number, elem = None, problem.elem
        while elem is not None and number is None:
            number = position.get(id(elem))
            elem = elem.getparent()
        detail = describe_schema_error(problem)
        error = FormatError("entry_schema" if number else "schema", f"Not a valid {VERSION} file: {detail}",
                            row=number, params={"detail": detail})
        if number is None:
            file_errors.append(error)
        else:
            schema_by_entry.setdefault(number, []).append(error)
    if file_errors:
        return Camt054Result((), tuple(file_errors))

    notifications = []
    errors: list[FormatError] = []
    for notification_elem in root.findall("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn", _NS):
        entries = []
        for entry_elem in notification_elem.findall("c:Ntry", _NS):
            number = position[id(entry_elem)]
            if number in schema_by_entry:
                errors += schema_by_entry[number]
                continue
            read, problems = _read_entry(number, entry_elem)
            errors += problems
            if not problems:
                entries.extend(read)
        notifications.append(
            Notification(
                message_id=_text(root, "c:BkToCstmrDbtCdtNtfctn/c:GrpHdr/c:MsgId"),
                created_at=_datetime(_text(notification_elem, "c:CreDtTm")),
                account_iban=_text(notification_elem, "c:Acct/c:Id/c:IBAN"),
                entries=tuple(entries),
            )
        )
    return Camt054Result(tuple(notifications), tuple(errors))


def _read_entry(number: int, entry: etree._Element) -> tuple[list[NotificationEntry], list[FormatError]]:
    problems: list[FormatError] = []
    entry_amount, currency = _amount(entry.find("c:Amt", _NS))
    common = dict(
        entry_number=number,
        currency=currency,
        credit_debit=_text(entry, "c:CdtDbtInd"),
        status=_text(entry, "c:Sts"),
        booking_date=_date(entry, "c:BookgDt"),
        value_date=_date(entry, "c:ValDt"),
        account_servicer_reference=_text(entry, "c:AcctSvcrRef"),
        reversal=_text(entry, "c:RvslInd") in ("true", "1"),
    )
    transactions = []
    for details in entry.findall("c:NtryDtls", _NS):
        batch = details.find("c:Btch", _NS)
        batch_message_id = _text(batch, "c:MsgId") if batch is not None else None
        batch_payment_info = _text(batch, "c:PmtInfId") if batch is not None else None
        for transaction in details.findall("c:TxDtls", _NS):
            transactions.append((transaction, batch_message_id, batch_payment_info))

    if not transactions:
        return [NotificationEntry(amount=entry_amount, **common)], problems

    result = []
    for transaction, batch_message_id, batch_payment_info in transactions:
        amount, tx_currency = None, currency
        for path in ("c:AmtDtls/c:TxAmt/c:Amt", "c:AmtDtls/c:InstdAmt/c:Amt"):
            if transaction.find(path, _NS) is not None:
                amount, tx_currency = _amount(transaction.find(path, _NS))
                break
        if amount is None:
            if len(transactions) > 1:
                problems.append(FormatError("entry_missing_amount",
                                            "A transaction of a batch entry has no amount (AmtDtls/TxAmt).",
                                            row=number, field="AmtDtls"))
                continue
            amount = entry_amount
        result.append(
            NotificationEntry(
                amount=amount,
                end_to_end_id=_text(transaction, "c:Refs/c:EndToEndId"),
                original_message_id=_text(transaction, "c:Refs/c:MsgId") or batch_message_id,
                payment_info_id=_text(transaction, "c:Refs/c:PmtInfId") or batch_payment_info,
                counterparty_name=_counterparty(transaction, common["credit_debit"], "Nm"),
                counterparty_iban=_counterparty(transaction, common["credit_debit"], "IBAN"),
                reference=_text(transaction, "c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref"),
                message=_text(transaction, "c:RmtInf/c:Ustrd"),
                return_reason=_text(transaction, "c:RtrInf/c:Rsn/c:Cd"),
                **{**common, "currency": tx_currency},
            )
        )
    if not problems and len(result) > 1:
        total = money_sum(entry.amount for entry in result)
        if total != entry_amount:
            problems.append(FormatError("entry_amount_mismatch",
                                        f"The transactions add up to {total}, but the entry is {entry_amount}.",
                                        row=number, field="Amt", params={"total": total, "entry": entry_amount}))
    return result, problems


def _counterparty(transaction, credit_debit: str | None, what: str) -> str | None:
    """The other party: the creditor of money we sent, the debtor of money we received."""
    party = "Cdtr" if credit_debit == DEBIT else "Dbtr"
    if what == "Nm":
        return _text(transaction, f"c:RltdPties/c:{party}/c:Nm")
    return _text(transaction, f"c:RltdPties/c:{party}Acct/c:Id/c:IBAN")


def _amount(elem) -> tuple[Decimal, str]:
    try:
        return Decimal(elem.text.strip()), elem.get("Ccy")
    except (InvalidOperation, AttributeError):  # pragma: no cover - the schema has checked the amount already
        raise ValueError("unreadable amount") from None


def _date(entry, path: str) -> dt.date | None:
    choice = entry.find(path, _NS)
    if choice is None:
        return None
    day = _text(choice, "c:Dt")
    if day is not None:
        return dt.date.fromisoformat(day[:10])
    moment = _text(choice, "c:DtTm")
    return _datetime(moment).date() if moment else None


def _datetime(value: str) -> dt.datetime:
    """An xs:dateTime; fractions of a second finer than Python keeps (microseconds) are cut, not refused."""
    return dt.datetime.fromisoformat(_FRACTION.sub(lambda m: m.group(0)[:7], value))


def _text(elem, path: str) -> str | None:
    found = elem.find(path, _NS)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


# ---------------------------------------------------------------------------------------------------------------
# Matching


@dataclass(frozen=True)
class Match:
    paid: tuple[tuple[Payment, NotificationEntry], ...] = ()
    returned: tuple[tuple[Payment, NotificationEntry], ...] = ()
    problems: tuple[FormatError, ...] = ()
    unmatched: tuple[NotificationEntry, ...] = field(default=())  # entries that are not about this batch

    @property
    def paid_ids(self) -> set[str]:
        return {payment.end_to_end_id for payment, _ in self.paid} - self.returned_ids

    @property
    def returned_ids(self) -> set[str]:
        return {payment.end_to_end_id for payment, _ in self.returned}


def match_payments(batch: PaymentBatch, entries) -> Match:
    """Pair notified transactions with ``batch``'s payments by end-to-end id.

    A payment is paid when a booked debit with its end-to-end id and exactly its amount (in euros) is notified; it
    is returned when a credit, a reversal or a return reason with its end-to-end id comes. A booked debit with the
    right id but another amount or currency is a problem (``amount_mismatch``), never a payment."""
    by_id = {payment.end_to_end_id: payment for payment in batch.payments}
    paid, returned, problems, unmatched = [], [], [], []
    for entry in entries:
        payment = by_id.get(entry.end_to_end_id) if entry.end_to_end_id else None
        if payment is None or (entry.original_message_id not in (None, batch.message_id)):
            unmatched.append(entry)
            continue
        if entry.status != BOOKED:
            continue
        if entry.is_return:
            returned.append((payment, entry))
        elif entry.amount != payment.amount or entry.currency != batch.currency:
            problems.append(
                FormatError("amount_mismatch",
                            f"The bank booked {entry.amount} {entry.currency} for “{payment.end_to_end_id}”, "
                            f"but {payment.amount} {batch.currency} was sent.",
                            row=entry.entry_number, field="amount",
                            params={"end_to_end_id": payment.end_to_end_id}))
        else:
            paid.append((payment, entry))
    return Match(tuple(paid), tuple(returned), tuple(problems), tuple(unmatched))


# ---------------------------------------------------------------------------------------------------------------
# Writing (what a bank would send)


def build_camt054(
    batch: PaymentBatch,
    *,
    message_id: str,
    created_at: dt.datetime,
    booking_date: dt.date,
    returns: dict[str, str] | None = None,
    status: str = BOOKED,
) -> bytes:
    """The notification of ``batch``'s debit, booked as one batch entry with a transaction per payment, as a bank
    reports a batch-booked pain.001. ``returns`` maps end-to-end ids to ISO return reasons (e.g. ``AC04``, account
    closed): each such payment also comes back as its own credit entry."""
    returns = returns or {}
    unknown = set(returns) - {payment.end_to_end_id for payment in batch.payments}
    if unknown:
        raise ValueError(f"no payment in the batch has the end-to-end id(s) {sorted(unknown)}")

    def sub(parent, tag, text=None, **attributes):
        elem = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", **attributes)
        if text is not None:
            elem.text = text
        return elem

    def amount(parent, tag, value):
        return sub(parent, tag, f"{value.quantize(CENT):f}", Ccy=batch.currency)

    def bank_code(parent, family, sub_family):
        domain = sub(sub(parent, "BkTxCd"), "Domn")
        sub(domain, "Cd", "PMNT")
        family_elem = sub(domain, "Fmly")
        sub(family_elem, "Cd", family)
        sub(family_elem, "SubFmlyCd", sub_family)

    def transaction(parent, payment, *, credit: bool, reason: str | None = None):
        tx = sub(parent, "TxDtls")
        refs = sub(tx, "Refs")
        sub(refs, "MsgId", batch.message_id)
        sub(refs, "PmtInfId", batch.message_id)
        sub(refs, "EndToEndId", payment.end_to_end_id)
        details = sub(tx, "AmtDtls")
        amount(sub(details, "InstdAmt"), "Amt", payment.amount)
        amount(sub(details, "TxAmt"), "Amt", payment.amount)
        # A return is money the creditor's bank sends back: the parties of the original payment swap places.
        us, them = (batch.debtor_name, batch.debtor_iban), (payment.creditor_name, payment.creditor_iban)
        debtor, creditor = (them, us) if credit else (us, them)
        parties = sub(tx, "RltdPties")
        sub(sub(parties, "Dbtr"), "Nm", debtor[0])
        sub(sub(sub(parties, "DbtrAcct"), "Id"), "IBAN", debtor[1])
        sub(sub(parties, "Cdtr"), "Nm", creditor[0])
        sub(sub(sub(parties, "CdtrAcct"), "Id"), "IBAN", creditor[1])
        if payment.reference:
            reference = sub(sub(sub(tx, "RmtInf"), "Strd"), "CdtrRefInf")
            reference_type = sub(reference, "Tp")
            sub(sub(reference_type, "CdOrPrtry"), "Cd", "SCOR")
            if payment.reference.upper().startswith("RF"):
                sub(reference_type, "Issr", "ISO")
            sub(reference, "Ref", payment.reference)
        elif payment.message:
            sub(sub(tx, "RmtInf"), "Ustrd", payment.message)
        if reason:
            sub(sub(sub(tx, "RtrInf"), "Rsn"), "Cd", reason)

    root = etree.Element(f"{{{NAMESPACE}}}Document", nsmap={None: NAMESPACE})
    message = sub(root, "BkToCstmrDbtCdtNtfctn")
    header = sub(message, "GrpHdr")
    sub(header, "MsgId", message_id)
    sub(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    notification = sub(message, "Ntfctn")
    sub(notification, "Id", message_id)
    sub(notification, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    account = sub(notification, "Acct")
    sub(sub(account, "Id"), "IBAN", batch.debtor_iban)
    sub(account, "Ccy", batch.currency)

    entry = sub(notification, "Ntry")
    amount(entry, "Amt", batch.control_sum)
    sub(entry, "CdtDbtInd", DEBIT)
    sub(entry, "Sts", status)
    sub(sub(entry, "BookgDt"), "Dt", booking_date.isoformat())
    sub(sub(entry, "ValDt"), "Dt", booking_date.isoformat())
    sub(entry, "AcctSvcrRef", f"{message_id}-1"[-35:])
    bank_code(entry, "ICDT", "ESCT")
    details = sub(entry, "NtryDtls")
    batch_elem = sub(details, "Btch")
    sub(batch_elem, "MsgId", batch.message_id)
    sub(batch_elem, "PmtInfId", batch.message_id)
    sub(batch_elem, "NbOfTxs", str(batch.number_of_transactions))
    amount(batch_elem, "TtlAmt", batch.control_sum)
    sub(batch_elem, "CdtDbtInd", DEBIT)
    for payment in batch.payments:
        transaction(details, payment, credit=False)

    for number, payment in enumerate((p for p in batch.payments if p.end_to_end_id in returns), start=2):
        back = sub(notification, "Ntry")
        amount(back, "Amt", payment.amount)
        sub(back, "CdtDbtInd", CREDIT)
        sub(back, "Sts", status)
        sub(sub(back, "BookgDt"), "Dt", booking_date.isoformat())
        sub(sub(back, "ValDt"), "Dt", booking_date.isoformat())
        sub(back, "AcctSvcrRef", f"{message_id}-{number}"[-35:])
        bank_code(back, "ICDT", "RRTN")
        transaction(sub(back, "NtryDtls"), payment, credit=True, reason=returns[payment.end_to_end_id])

    problems = schema_errors(root, SCHEMA)
    if problems:
        raise ValueError(f"the notification breaks its schema: {describe_schema_error(problems[0])}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
