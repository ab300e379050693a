"""Finvoice 3.0 invoices: reading one safely into an :class:`InvoiceMessage`, reading a file of several, and writing
one.

:func:`parse_finvoice` never raises for a bad invoice. It returns a :class:`FinvoiceResult`: the invoice with the rows
that are right, and every problem found, each with a ``code``, the 1-based row number (None for the invoice as a
whole) and the element at fault. One bad row never sinks the good rows; a problem in the invoice's own details
(seller, account, number, dates, total) leaves ``invoice`` None, because such an invoice cannot be paid, but the
rows are still checked so the sender sees everything at once. A file that is not a Finvoice message at all gives one
file-level error.

What is checked:

* The file is safe XML (:mod:`avain.accounts.formats.safexml`) whose root is ``Finvoice`` with ``Version="3.0"``.
* The Finvoice 3.0 XSD (vendored in ``schemas/``). A schema error inside an ``InvoiceRow`` belongs to that row.
  The standard writes decimals with a comma (``12,50``); a decimal point (``12.50``) in an amount, percentage or
  quantity is accepted too and reads the same.
* The seller's business ID (``SellerPartyIdentifier`` — a Y-tunnus, or an OVT code holding one — else derived
  from the VAT number in ``SellerOrganisationTaxCode``), IBAN and BIC (python-stdnum); the reference (Finnish or RF, see
  :mod:`avain.accounts.formats.references`); dates; amounts in Decimal, never float, and money amounts (row totals,
  invoice total) exact to the cent.
* Each row has a unit price (``row_missing_price``), a quantity (``row_missing_quantity``), a row amount
  (``row_missing_amount``); quantity × unit price agrees with the VAT-excluded amount to the cent
  (``row_amount_mismatch``); start date not after end date. When every row is right, the rows add up to the total.

A file of several invoices (billing software's and the banks' e-invoice *transmission file*: message after message,
each a SOAP envelope followed by its ``Finvoice`` element, concatenated, so the file as a whole is not one XML
document) is read by :func:`parse_finvoice_file`: each message on its own, as :func:`parse_finvoice` reads one.
"""

import copy
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fi import alv, ytunnus

from avain.accounts.formats import references
from avain.accounts.formats.errors import BuildError, FileFormatError, FormatError
from avain.accounts.formats.safexml import (
    MAX_XML_BYTES,
    describe_schema_error,
    localname,
    parse_untrusted,
    passes_schema,
    schema_errors,
)
from avain.core.money import CENT, money_sum, round_money

SCHEMA = "Finvoice3.0.xsd"
VERSION = "3.0"

_DECIMAL = re.compile(r"^-?[0-9]+([.,][0-9]+)?$")
_DOT_DECIMAL = re.compile(r"^\s*-?[0-9]+\.[0-9]+\s*$")
_NUMERIC_SUFFIXES = ("Amount", "Percent", "Quantity")
_OVT = re.compile(r"^0037([0-9]{8})[0-9A-Za-z]{0,5}$")  # an e-invoice address (OVT code) holds the business ID
_YTUNNUS_LIKE = re.compile(r"^[0-9]{6,7}-[0-9]$")
_FRAME_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?Envelope\s*>")
_FINVOICE_START = re.compile(rb"<Finvoice[\s>/]")
_FINVOICE_END = re.compile(rb"</Finvoice\s*>")
# Where a message of a transmission file may begin: its XML declaration or its envelope's start tag.
_FRAME_START = re.compile(rb"<\?xml[\s?]|<(?:[A-Za-z_][\w.-]*:)?Envelope[\s>/]")
_DECLARATION = re.compile(rb"<\?xml[\s?][^>]*\?>")
_WHITE_SPACE = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class InvoiceRow:
    """One ``InvoiceRow``. ``number`` is its position among the invoice's rows (1 = first), set by the parser;
    the builder writes rows in the order given. ``amount`` is ``RowAmount`` (VAT included), ``amount_vat_excluded``
    ``RowVatExcludedAmount``; either may be missing, but not both."""

    number: int
    unit_price: Decimal
    quantity: Decimal
    unit_code: str | None = None
    article_id: str | None = None
    article_name: str | None = None
    vat_rate: Decimal | None = None
    amount: Decimal | None = None
    amount_vat_excluded: Decimal | None = None
    delivery_date: dt.date | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    buyer_reference: str | None = None
    free_text: tuple[str, ...] = ()

    @property
    def total(self) -> Decimal:
        """What the row costs, VAT included."""
        if self.amount is not None:
            return self.amount
        return self.amount_vat_excluded

    @property
    def service_date(self) -> dt.date | None:
        """The day the service was given: the delivery date, else the start date."""
        return self.delivery_date or self.start_date


@dataclass(frozen=True)
class InvoiceMessage:
    seller_business_id: str  # Y-tunnus, formatted 1234567-8
    seller_name: str
    seller_iban: str  # compact, e.g. FI2112345600000785
    buyer_name: str
    invoice_number: str
    invoice_date: dt.date
    due_date: dt.date
    total: Decimal  # InvoiceTotalVatIncludedAmount
    rows: tuple[InvoiceRow, ...]
    seller_bic: str | None = None
    buyer_identifier: str | None = None  # BuyerPartyIdentifier as given
    buyer_reference: str | None = None  # InvoiceDetails/BuyerReferenceIdentifier
    reference: str | None = None  # EpiRemittanceInfoIdentifier, compact: Finnish digits or RF…
    currency: str = "EUR"


@dataclass(frozen=True)
class FinvoiceResult:
    invoice: InvoiceMessage | None
    errors: tuple[FormatError, ...] = field(default=())
    rows_read: int = 0  # how many InvoiceRow elements the file had
    # InvoiceNumber as written, also when the invoice cannot be paid (None when the message could not be read or has
    # none): it names the invoice to its sender.
    invoice_number: str | None = None

    @property
    def ok(self) -> bool:
        return self.invoice is not None and not self.errors

    @property
    def failed_rows(self) -> tuple[int, ...]:
        return tuple(sorted({error.row for error in self.errors if error.row is not None}))

    @property
    def invoice_errors(self) -> tuple[FormatError, ...]:
        return tuple(error for error in self.errors if error.row is None)

    def errors_for_row(self, number: int) -> tuple[FormatError, ...]:
        return tuple(error for error in self.errors if error.row == number)


# ---------------------------------------------------------------------------------------------------------------
# Reading


def parse_finvoice(data: bytes) -> FinvoiceResult:
    """Read one Finvoice 3.0 message. A SOAP transmission frame before it (as operators send them) is skipped."""
    try:
        root = parse_untrusted(_without_transmission_frame(data), what="a Finvoice invoice")
    except FileFormatError as error:
        return FinvoiceResult(None, (error.error,))
    if not isinstance(root.tag, str) or localname(root) != "Finvoice" or etree.QName(root).namespace:
        found = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        return FinvoiceResult(
            None,
            (
                FormatError(
                    "not_finvoice",
                    f"The file is XML but not a Finvoice invoice: its root element is “{found}”, not “Finvoice”.",
                    params={"root": found},
                ),
            ),
        )
    version = (root.get("Version") or "").strip()
    if version != VERSION:
        return FinvoiceResult(
            None,
            (
                FormatError(
                    "unsupported_version",
                    f"The invoice is Finvoice version “{version or '?'}”; only Finvoice {VERSION} is accepted.",
                    params={"version": version},
                ),
            ),
            invoice_number=_text(root.find("InvoiceDetails/InvoiceNumber")),
        )
    return _Reader(root).read()


def _without_transmission_frame(data: bytes) -> bytes:
    if not isinstance(data, bytes | bytearray):
        return data
    data = bytes(data)
    start = _FINVOICE_START.search(data)
    frame_end = _FRAME_END.search(data)
    if start and frame_end and frame_end.end() <= start.start():
        return data[frame_end.end() :].lstrip()
    return data


@dataclass(frozen=True)
class FinvoiceMessage:
    """One message of a Finvoice file: where it stands (1 = the first), what :func:`parse_finvoice` made of it, and
    its Finvoice document without the transmission frame (for reading more of it)."""

    position: int
    result: FinvoiceResult
    document: bytes


def parse_finvoice_file(data: bytes) -> tuple[FinvoiceMessage, ...]:
    """Every Finvoice message of a file, in file order.

    A file that is one XML document (one invoice, with or without its transmission frame), or that is not a
    transmission file of several messages, is one message read by :func:`parse_finvoice` exactly as before,
    ``document`` being the whole file. A transmission file (two or more ``Finvoice`` elements, one after another, so
    the whole is not one document) is cut into its messages and each is read on its own: one that cannot be read
    never stops the others. Each message's envelope is read as safe XML too, so a DTD or an entity anywhere in the
    file is reported (``xml_unsafe``) for the message it is in; what to do with the file then is the caller's call.
    A message's Finvoice document without an XML declaration of its own is read with the declaration before it
    (its envelope's, or the file's), which names the file's encoding."""
    data = bytes(data)
    single = parse_finvoice(data)
    if single.invoice is not None or len(single.errors) != 1 or single.errors[0].code not in ("not_xml", "xml_unsafe"):
        return (FinvoiceMessage(1, single, data),)
    parts = _transmission_messages(data)
    if parts is None:
        return (FinvoiceMessage(1, single, data),)
    messages = tuple(
        FinvoiceMessage(position, _parse_message(frame, document), document)
        for position, (frame, document) in enumerate(parts, start=1)
    )
    if single.errors[0].code == "xml_unsafe" and not any(
        error.code == "xml_unsafe" for message in messages for error in message.result.errors
    ):
        return (FinvoiceMessage(1, single, data),)  # never lose sight of a DTD or an entity
    return messages


def _transmission_messages(data: bytes) -> list[tuple[bytes | None, bytes]] | None:
    """The messages of a transmission file as (frame, Finvoice document), or None when the file has fewer than two
    ``Finvoice`` start tags. Each message runs from the end of the one before (its ``</Finvoice>``) to its own end;
    a message cut short (no ``</Finvoice>`` before the next one) ends where the next message's declaration or
    envelope begins, so only it is lost. Within a message, everything up to the last envelope end tag before its
    ``Finvoice`` start tag is its frame."""
    starts = [match.start() for match in _FINVOICE_START.finditer(data)]
    if len(starts) < 2 or len(data) > MAX_XML_BYTES:
        return None
    bounds = [0]
    for start, following in zip(starts, starts[1:]):
        end = _last_match(_FINVOICE_END, data, start, following)
        if end is not None:
            bounds.append(end.end())
        else:
            frame = _FRAME_START.search(data, start + 1, following)
            bounds.append(frame.start() if frame else following)
    bounds.append(len(data))
    head = _DECLARATION.match(data.removeprefix(_UTF8_BOM).lstrip(_WHITE_SPACE))
    file_declaration = head.group() if head else None

    messages = []
    for position, start in enumerate(starts):
        begin, end = bounds[position], bounds[position + 1]
        frame_end = _last_match(_FRAME_END, data, begin, start)
        cut = frame_end.end() if frame_end is not None else begin
        frame = data[begin:cut].strip(_WHITE_SPACE) if frame_end is not None else None
        document = data[cut:end].strip(_WHITE_SPACE)
        if not document.removeprefix(_UTF8_BOM).startswith(b"<?xml"):
            declaration = _last_match(_DECLARATION, data, begin, cut)
            declaration = declaration.group() if declaration is not None else file_declaration
            if declaration is not None:
                document = declaration + b"\n" + document
        messages.append((frame, document))
    return messages


def _last_match(pattern: re.Pattern, data: bytes, start: int, end: int) -> re.Match | None:
    match = None
    for match in pattern.finditer(data, start, end):
        pass
    return match


def _parse_message(frame: bytes | None, document: bytes) -> FinvoiceResult:
    """One message of a transmission file: its frame must be safe, readable XML; its document is read by
    :func:`parse_finvoice`."""
    if frame is not None:
        try:
            parse_untrusted(frame, what="a Finvoice transmission frame")
        except FileFormatError as error:
            return FinvoiceResult(None, (error.error,))
    return parse_finvoice(document)


class _Reader:
    def __init__(self, root: etree._Element):
        self.root = root
        self.rows = root.findall("InvoiceRow")
        self.errors: list[FormatError] = []
        self.currency: str | None = None

    # -- the whole invoice

    def read(self) -> FinvoiceResult:
        schema_by_row, invoice_schema = self._schema_errors()
        header = self._header()
        invoice_errors = list(self.errors)
        invoice_errors += _uncovered(invoice_schema, {e.field for e in invoice_errors}, row=None)

        good_rows: list[InvoiceRow] = []
        row_errors: list[FormatError] = []
        for number, elem in enumerate(self.rows, start=1):
            self.errors = []
            row = self._row(number, elem)
            own = list(self.errors)
            own += _uncovered(schema_by_row.get(number, []), {e.field for e in own}, row=number)
            row_errors += own
            if not own and row is not None:
                good_rows.append(row)
        self.row_number = None

        if not self.rows:
            invoice_errors.append(FormatError("no_rows", "The invoice has no rows (InvoiceRow).", field="InvoiceRow"))

        if header is not None and not row_errors and good_rows and not invoice_errors:
            rows_total = money_sum(row.total for row in good_rows)
            if rows_total + (self.roundoff or 0) != header["total"]:
                invoice_errors.append(
                    FormatError(
                        "total_mismatch",
                        f"The rows add up to {rows_total}, but the invoice total is {header['total']}.",
                        field="InvoiceTotalVatIncludedAmount",
                        params={"rows_total": rows_total, "total": header["total"]},
                    )
                )

        invoice = None
        if header is not None and not invoice_errors:
            invoice = InvoiceMessage(rows=tuple(good_rows), **header)
        number = _text(self.root.find("InvoiceDetails/InvoiceNumber"))
        return FinvoiceResult(invoice, tuple(invoice_errors + row_errors), rows_read=len(self.rows),
                              invoice_number=number)

    def _schema_errors(self):
        """Schema errors split by the row they are in; decimal points are read as the standard's commas."""
        checked = copy.deepcopy(self.root)
        for elem in checked.iter():
            if isinstance(elem.tag, str) and elem.tag.endswith(_NUMERIC_SUFFIXES) and elem.text:
                if _DOT_DECIMAL.match(elem.text):
                    elem.text = elem.text.replace(".", ",")
        if passes_schema(checked, SCHEMA):  # nearly every invoice; the slower validator then has nothing to add
            return {}, []
        row_elems = checked.findall("InvoiceRow")
        position = {id(elem): number for number, elem in enumerate(row_elems, start=1)}
        by_row: dict[int, list] = {}
        invoice_level = []
        for error in schema_errors(checked, SCHEMA):
            number = None
            elem = error.elem
            while elem is not None:
                if id(elem) in position:
                    number = position[id(elem)]
                    break
                elem = elem.getparent()
            if number is None:
                invoice_level.append(error)
            else:
                by_row.setdefault(number, []).append(error)
        return by_row, invoice_level

    def _header(self) -> dict | None:
        root = self.root
        start = len(self.errors)
        total_elem = root.find("InvoiceDetails/InvoiceTotalVatIncludedAmount")
        if total_elem is not None:
            self.currency = (total_elem.get("AmountCurrencyIdentifier") or "").strip() or None
        header = {
            "seller_business_id": self._business_id(),
            "seller_name": self._names(root.findall("SellerPartyDetails/SellerOrganisationName"), "seller_name"),
            "buyer_name": self._names(root.findall("BuyerPartyDetails/BuyerOrganisationName"), "buyer_name"),
            "buyer_identifier": _text(root.find("BuyerPartyDetails/BuyerPartyIdentifier")),
            "buyer_reference": _text(root.find("InvoiceDetails/BuyerReferenceIdentifier")),
            "invoice_number": self._required_text(root.find("InvoiceDetails/InvoiceNumber"), "InvoiceNumber",
                                                  "missing_invoice_number", "The invoice number is missing."),
            "invoice_date": self._required_date(root.find("InvoiceDetails/InvoiceDate"), "InvoiceDate",
                                                "missing_invoice_date", "The invoice date is missing."),
            "due_date": self._due_date(),
            "reference": self._reference(),
            "total": self._total(total_elem),
            "currency": self.currency,
        }
        header["seller_iban"], header["seller_bic"] = self._account()
        self.roundoff = self._amount(root.find("InvoiceDetails/InvoiceTotalRoundoffAmount"), money=True)
        if len(self.errors) > start:
            return None
        return header

    def _business_id(self) -> str | None:
        party = self.root.find("SellerPartyDetails")
        identifier = _text(party.find("SellerPartyIdentifier")) if party is not None else None
        tax_code = _text(party.find("SellerOrganisationTaxCode")) if party is not None else None
        if identifier is None and tax_code is None:
            self._error("missing_seller_business_id", "The seller's business ID (SellerPartyIdentifier) is missing.",
                        "SellerPartyIdentifier")
            return None
        if identifier is not None:
            ovt = _OVT.match(identifier.replace(" ", ""))
            candidate = ovt.group(1) if ovt else identifier
            try:
                return ytunnus.format(ytunnus.validate(candidate))
            except StdnumValidationError:
                # A typo in a Y-tunnus is an error; another kind of identifier leaves the VAT number to decide.
                if tax_code is None or _YTUNNUS_LIKE.match(identifier.strip()):
                    self._error("invalid_business_id",
                                f"The seller's business ID “{identifier}” is not a valid Y-tunnus (1234567-8).",
                                "SellerPartyIdentifier", value=identifier)
                    return None
        try:
            return ytunnus.format(alv.validate(tax_code))
        except StdnumValidationError:
            self._error("invalid_business_id",
                        f"The seller's VAT number “{tax_code}” is not a valid Finnish VAT number (FI12345678).",
                        "SellerOrganisationTaxCode", value=tax_code)
            return None

    def _names(self, elems, what: str) -> str | None:
        name = " ".join(text for text in (_text(elem) for elem in elems) if text) or None
        if name is None:
            element = "SellerOrganisationName" if what == "seller_name" else "BuyerOrganisationName"
            party = "seller" if what == "seller_name" else "buyer"
            self._error(f"missing_{what}", f"The {party}'s name ({element}) is missing.", element)
        return name

    def _account(self) -> tuple[str | None, str | None]:
        account = bic = None
        account_field, bic_field = "SellerAccountID", "SellerBic"
        for details in self.root.findall("SellerInformationDetails/SellerAccountDetails"):
            account_elem = details.find("SellerAccountID")
            if account_elem is not None and (account_elem.get("IdentificationSchemeName") or "IBAN") == "IBAN":
                account, bic = _text(account_elem), _text(details.find("SellerBic"))
                break
        if account is None:
            account_field, bic_field = "EpiAccountID", "EpiBfiIdentifier"
            epi_account = self.root.find("EpiDetails/EpiPartyDetails/EpiBeneficiaryPartyDetails/EpiAccountID")
            if epi_account is not None and (epi_account.get("IdentificationSchemeName") or "IBAN") == "IBAN":
                account = _text(epi_account)
                bic = _text(self.root.find("EpiDetails/EpiPartyDetails/EpiBfiPartyDetails/EpiBfiIdentifier"))
        if account is None:
            self._error("missing_seller_iban", "The seller's IBAN account (SellerAccountID) is missing.",
                        "SellerAccountID")
        else:
            try:
                account = stdnum_iban.validate(account)
            except StdnumValidationError:
                self._error("invalid_iban", f"The seller's account “{account}” is not a valid IBAN.", account_field,
                            value=account)
                account = None
        if bic is not None:
            try:
                bic = stdnum_bic.validate(bic)
            except StdnumValidationError:
                self._error("invalid_bic", f"The seller's bank code “{bic}” is not a valid BIC.", bic_field, value=bic)
                bic = None
        return account, bic

    def _due_date(self) -> dt.date | None:
        for path, name in (
            ("InvoiceDetails/PaymentTermsDetails/InvoiceDueDate", "InvoiceDueDate"),
            ("EpiDetails/EpiPaymentInstructionDetails/EpiDateOptionDate", "EpiDateOptionDate"),
        ):
            elem = self.root.find(path)
            if _text(elem) is not None:
                return self._date(elem, name)
        self._error("missing_due_date", "The due date (InvoiceDueDate) is missing.", "InvoiceDueDate")
        return None

    def _reference(self) -> str | None:
        value = _text(self.root.find("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier"))
        if value is None:
            return None
        try:
            return references.validate_reference(value)[1]
        except references.ReferenceError as error:
            self._error("invalid_reference", str(error), "EpiRemittanceInfoIdentifier", value=value)
            return None

    def _total(self, elem) -> Decimal | None:
        if _text(elem) is None:
            self._error("missing_total", "The invoice total (InvoiceTotalVatIncludedAmount) is missing.",
                        "InvoiceTotalVatIncludedAmount")
            return None
        if self.currency is None:
            self._error("missing_currency", "The invoice total has no currency (AmountCurrencyIdentifier).",
                        "InvoiceTotalVatIncludedAmount")
        return self._amount(elem, money=True)

    # -- one row

    def _row(self, number: int, elem: etree._Element) -> InvoiceRow | None:
        self.row_number = number
        if elem.find("SubInvoiceRow") is not None and elem.find("UnitPriceAmount") is None:
            self._error("row_sub_rows", "Rows made of sub-rows (SubInvoiceRow) are not supported; send plain rows.",
                        "SubInvoiceRow")
            return None
        price_elem = elem.find("UnitPriceAmount")
        if _text(price_elem) is None:
            self._error("row_missing_price", "The row has no unit price (UnitPriceAmount).", "UnitPriceAmount")
        price = self._amount(price_elem, money=False)

        quantity_elem = elem.find("DeliveredQuantity")
        if quantity_elem is None:
            quantity_elem = elem.find("InvoicedQuantity")
        if _text(quantity_elem) is None:
            self._error("row_missing_quantity", "The row has no quantity (DeliveredQuantity).", "DeliveredQuantity")
        quantity = self._number(quantity_elem)
        unit_code = None
        if quantity_elem is not None:
            unit_code = (quantity_elem.get("QuantityUnitCode") or "").strip() or None

        vat_rate = self._number(elem.find("RowVatRatePercent"))
        amount = self._amount(elem.find("RowAmount"), money=True)
        excluded = self._amount(elem.find("RowVatExcludedAmount"), money=True)
        if amount is None and excluded is None and not self._has_error_on("RowAmount", "RowVatExcludedAmount"):
            self._error("row_missing_amount", "The row has no amount (RowAmount).", "RowAmount")
        elif amount is None and excluded is not None and vat_rate not in (None, Decimal(0)):
            self._error("row_missing_amount",
                        "The row has VAT but no amount with VAT included (RowAmount).", "RowAmount")

        if price is not None and quantity is not None and excluded is not None and not _has_adjustments(elem):
            base = self._number(elem.find("UnitPriceBaseQuantity")) or Decimal(1)
            expected = round_money(quantity * price / base) if base else None
            if expected is not None and abs(expected - excluded) > CENT:
                self._error("row_amount_mismatch",
                            f"Quantity {quantity} × unit price {price} is {expected}, "
                            f"but the row says {excluded} without VAT.",
                            "RowVatExcludedAmount", expected=expected, amount=excluded)

        delivery = self._date(elem.find("RowDeliveryDate"), "RowDeliveryDate")
        start = self._date(elem.find("StartDate"), "StartDate")
        end = self._date(elem.find("EndDate"), "EndDate")
        if start and end and start > end:
            self._error("row_dates_reversed", f"The row starts ({start}) after it ends ({end}).", "EndDate")

        if any(e.row == number for e in self.errors):
            return None
        return InvoiceRow(
            number=number,
            unit_price=price,
            quantity=quantity,
            unit_code=unit_code,
            article_id=_text(elem.find("ArticleIdentifier")),
            article_name=_text(elem.find("ArticleName")),
            vat_rate=vat_rate,
            amount=amount,
            amount_vat_excluded=excluded,
            delivery_date=delivery,
            start_date=start,
            end_date=end,
            buyer_reference=_text(elem.find("RowBuyerReferenceIdentifier")),
            free_text=tuple(text for text in (_text(e) for e in elem.findall("RowFreeText")) if text),
        )

    # -- values

    def _amount(self, elem, *, money: bool) -> Decimal | None:
        value = self._number(elem)
        if value is None:
            return None
        name = localname(elem)
        currency = (elem.get("AmountCurrencyIdentifier") or "").strip() or None
        if currency and self.currency and currency != self.currency:
            self._error(self._code("currency_mismatch"),
                        f"{name} is in {currency}, but the invoice is in {self.currency}.", name,
                        currency=currency, invoice_currency=self.currency)
            return None
        if money and value != value.quantize(CENT):
            self._error(self._code("invalid_amount"), f"{name} “{_text(elem)}” is finer than a cent.", name,
                        value=_text(elem))
            return None
        return value

    def _number(self, elem) -> Decimal | None:
        text = _text(elem)
        if text is None:
            return None
        compact = text.replace(" ", "").replace("\u00a0", "")
        if not _DECIMAL.match(compact):
            self._error(self._code("invalid_number"),
                        f"{localname(elem)} “{text}” is not a number (write 1234,50).", localname(elem), value=text)
            return None
        try:
            return Decimal(compact.replace(",", "."))
        except InvalidOperation:  # pragma: no cover - the pattern above admits only valid decimals
            self._error(self._code("invalid_number"), f"{localname(elem)} “{text}” is not a number.", localname(elem))
            return None

    def _date(self, elem, name: str) -> dt.date | None:
        text = _text(elem)
        if text is None:
            return None
        fmt = (elem.get("Format") or "CCYYMMDD").strip()
        try:
            if fmt != "CCYYMMDD" or len(text) != 8 or not text.isdigit():
                raise ValueError(text)
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            self._error(self._code("invalid_date"), f"{name} “{text}” is not a date in the form CCYYMMDD.", name,
                        value=text)
            return None

    def _required_text(self, elem, name, code, message) -> str | None:
        text = _text(elem)
        if text is None:
            self._error(code, message, name)
        return text

    def _required_date(self, elem, name, code, message) -> dt.date | None:
        if _text(elem) is None:
            self._error(code, message, name)
            return None
        return self._date(elem, name)

    # -- bookkeeping

    row_number: int | None = None

    def _code(self, code: str) -> str:
        return f"row_{code}" if self.row_number is not None else code

    def _error(self, code: str, message: str, field_name: str, **params) -> None:
        self.errors.append(FormatError(code, message, row=self.row_number, field=field_name, params=params))

    def _has_error_on(self, *names: str) -> bool:
        return any(e.field in names and e.row == self.row_number for e in self.errors)


def _has_adjustments(row: etree._Element) -> bool:
    """Discounts or charges on the row make quantity × price differ from the amount legitimately."""
    return any(
        row.find(name) is not None
        for name in ("RowDiscountPercent", "RowDiscountAmount", "RowChargeDetails", "RowProgressiveDiscountDetails",
                     "UnitPriceDiscountAmount", "UnitPriceNetAmount")
    )


def _uncovered(errors, covered_fields: set, *, row: int | None) -> list[FormatError]:
    """Schema errors as FormatErrors, leaving out those the reader's own, clearer checks already reported."""
    result = []
    seen = set()
    for error in errors:
        elem = error.elem
        name = localname(elem) if elem is not None and isinstance(elem.tag, str) else None
        expected = set()
        for tag in getattr(error, "expected", None) or ():
            expected.add(str(getattr(tag, "local_name", None) or getattr(tag, "name", tag)))
        if name in covered_fields or expected & covered_fields:
            continue
        key = (id(elem), type(error).__name__)  # one message per element and kind: a value that breaks two
        if key in seen:  # patterns of the same type is still one mistake
            continue
        seen.add(key)
        message = describe_schema_error(error)
        code = "row_schema" if row is not None else "schema"
        result.append(FormatError(code, f"Not valid Finvoice 3.0: {message}", row=row, field=name,
                                  params={"detail": message}))
    return result


def _text(elem) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


# ---------------------------------------------------------------------------------------------------------------
# Writing


def build_finvoice(invoice: InvoiceMessage) -> bytes:
    """A Finvoice 3.0 message (UTF-8, no transmission frame) for ``invoice``. Raises :class:`BuildError` listing
    every problem when the result would not be accepted by :func:`parse_finvoice`, so whatever is built here, Avain
    also reads back unchanged."""
    try:
        data = _build(invoice)
    except (ValueError, TypeError) as error:
        raise BuildError([FormatError("invalid_text", f"The invoice cannot be written as XML: {error}")]) from None
    result = parse_finvoice(data)
    if result.errors:
        raise BuildError(list(result.errors))
    return data


SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
EBXML = "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd"


def build_finvoice_file(invoices: Sequence[InvoiceMessage]) -> bytes:
    """A transmission file (UTF-8) of ``invoices``, as billing software sends several at once: for each, a SOAP
    envelope (:func:`build_transmission_frame`) followed by its Finvoice 3.0 message (:func:`build_finvoice`), one
    after another. Raises :class:`BuildError` with the problems of every invoice that cannot be written."""
    parts: list[bytes] = []
    errors: list[FormatError] = []
    for invoice in invoices:
        try:
            document = build_finvoice(invoice)
        except BuildError as error:
            errors.extend(error.errors)
            continue
        parts.append(build_transmission_frame(invoice.invoice_number, invoice.seller_business_id) + document)
    if errors:
        raise BuildError(errors)
    return b"".join(parts)


def build_transmission_frame(message_id: str, seller_business_id: str) -> bytes:
    """The SOAP envelope (with an ebXML message header) that goes in front of one Finvoice message: from the seller's
    e-invoice address (``0037`` + business ID), naming the message ``message_id``."""
    envelope = etree.Element(etree.QName(SOAP_ENV, "Envelope"), nsmap={"SOAP-ENV": SOAP_ENV, "eb": EBXML})
    header = _sub(
        _sub(envelope, etree.QName(SOAP_ENV, "Header")),
        etree.QName(EBXML, "MessageHeader"),
        **{etree.QName(SOAP_ENV, "mustUnderstand").text: "1", etree.QName(EBXML, "version").text: "2.0"},
    )
    sender = _sub(header, etree.QName(EBXML, "From"))
    _sub(sender, etree.QName(EBXML, "PartyId"), "0037" + ytunnus.compact(seller_business_id))
    _sub(sender, etree.QName(EBXML, "Role"), "Sender")
    _sub(header, etree.QName(EBXML, "Service"), "Routing")
    _sub(header, etree.QName(EBXML, "Action"), "ProcessInvoice")
    _sub(_sub(header, etree.QName(EBXML, "MessageData")), etree.QName(EBXML, "MessageId"), message_id)
    manifest = _sub(_sub(envelope, etree.QName(SOAP_ENV, "Body")), etree.QName(EBXML, "Manifest"))
    _sub(manifest, etree.QName(EBXML, "Reference"), **{etree.QName(EBXML, "id").text: "Finvoice"})
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _build(invoice: InvoiceMessage) -> bytes:
    currency = invoice.currency
    root = etree.Element("Finvoice", Version=VERSION)

    seller = _sub(root, "SellerPartyDetails")
    _sub(seller, "SellerPartyIdentifier", invoice.seller_business_id)
    _sub(seller, "SellerOrganisationName", invoice.seller_name)
    _sub(seller, "SellerOrganisationTaxCode", "FI" + ytunnus.compact(invoice.seller_business_id))

    if invoice.seller_bic:
        # The schema makes SellerBic compulsory in SellerAccountDetails: without a BIC the account is written only
        # in EpiDetails, where the reader finds it too.
        account = _sub(_sub(root, "SellerInformationDetails"), "SellerAccountDetails")
        _sub(account, "SellerAccountID", invoice.seller_iban, IdentificationSchemeName="IBAN")
        _sub(account, "SellerBic", invoice.seller_bic, IdentificationSchemeName="BIC")

    buyer = _sub(root, "BuyerPartyDetails")
    if invoice.buyer_identifier:
        _sub(buyer, "BuyerPartyIdentifier", invoice.buyer_identifier)
    _sub(buyer, "BuyerOrganisationName", invoice.buyer_name)

    details = _sub(root, "InvoiceDetails")
    credit = invoice.total < 0
    _sub(details, "InvoiceTypeCode", "INV02" if credit else "INV01")
    _sub(details, "InvoiceTypeText", "HYVITYSLASKU" if credit else "LASKU")
    _sub(details, "OriginCode", "Original")
    _sub(details, "InvoiceNumber", invoice.invoice_number)
    _sub(details, "InvoiceDate", _date_text(invoice.invoice_date), Format="CCYYMMDD")
    if invoice.buyer_reference:
        _sub(details, "BuyerReferenceIdentifier", invoice.buyer_reference)
    _sub(details, "InvoiceTotalVatIncludedAmount", _amount_text(invoice.total, 2, 2),
         AmountCurrencyIdentifier=currency)
    terms = _sub(details, "PaymentTermsDetails")
    _sub(terms, "InvoiceDueDate", _date_text(invoice.due_date), Format="CCYYMMDD")

    for row in invoice.rows:
        _build_row(root, row, currency)

    epi = _sub(root, "EpiDetails")
    identification = _sub(epi, "EpiIdentificationDetails")
    _sub(identification, "EpiDate", _date_text(invoice.invoice_date), Format="CCYYMMDD")
    _sub(identification, "EpiReference", "")
    party = _sub(epi, "EpiPartyDetails")
    bank = _sub(party, "EpiBfiPartyDetails")
    if invoice.seller_bic:
        _sub(bank, "EpiBfiIdentifier", invoice.seller_bic, IdentificationSchemeName="BIC")
    beneficiary = _sub(party, "EpiBeneficiaryPartyDetails")
    name = " ".join(invoice.seller_name.split())[:35].strip()
    if len(name) >= 2:
        _sub(beneficiary, "EpiNameAddressDetails", name)
    _sub(beneficiary, "EpiAccountID", invoice.seller_iban, IdentificationSchemeName="IBAN")
    instruction = _sub(epi, "EpiPaymentInstructionDetails")
    if invoice.reference:
        scheme = "ISO" if invoice.reference.upper().startswith("RF") else "SPY"
        _sub(instruction, "EpiRemittanceInfoIdentifier", invoice.reference, IdentificationSchemeName=scheme)
    _sub(instruction, "EpiInstructedAmount", _amount_text(invoice.total, 2, 2), AmountCurrencyIdentifier=currency)
    _sub(instruction, "EpiCharge", "SHA", ChargeOption="SHA")
    _sub(instruction, "EpiDateOptionDate", _date_text(invoice.due_date), Format="CCYYMMDD")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _build_row(root, row: InvoiceRow, currency: str) -> None:
    elem = _sub(root, "InvoiceRow")
    if row.article_id is not None:
        _sub(elem, "ArticleIdentifier", row.article_id)
    if row.article_name is not None:
        _sub(elem, "ArticleName", row.article_name)
    quantity = _sub(elem, "DeliveredQuantity", _number_text(row.quantity))
    if row.unit_code:
        quantity.set("QuantityUnitCode", row.unit_code)
    if row.start_date:
        _sub(elem, "StartDate", _date_text(row.start_date), Format="CCYYMMDD")
    if row.end_date:
        _sub(elem, "EndDate", _date_text(row.end_date), Format="CCYYMMDD")
    _sub(elem, "UnitPriceAmount", _amount_text(row.unit_price, 2, 5), AmountCurrencyIdentifier=currency)
    if row.delivery_date:
        _sub(elem, "RowDeliveryDate", _date_text(row.delivery_date), Format="CCYYMMDD")
    if row.buyer_reference is not None:
        _sub(elem, "RowBuyerReferenceIdentifier", row.buyer_reference)
    for text in row.free_text:
        _sub(elem, "RowFreeText", text)
    if row.vat_rate is not None:
        _sub(elem, "RowVatRatePercent", _number_text(row.vat_rate))
    if row.amount_vat_excluded is not None:
        _sub(elem, "RowVatExcludedAmount", _amount_text(row.amount_vat_excluded, 2, 2),
             AmountCurrencyIdentifier=currency)
    if row.amount is not None:
        _sub(elem, "RowAmount", _amount_text(row.amount, 2, 2), AmountCurrencyIdentifier=currency)


def _sub(parent, tag: str, text: str | None = None, **attributes) -> etree._Element:
    elem = etree.SubElement(parent, tag, **attributes)
    if text is not None:
        elem.text = text
    return elem


def _date_text(value: dt.date) -> str:
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _amount_text(value: Decimal, min_places: int, max_places: int) -> str:
    """A Decimal in the standard's form: decimal comma, ``min_places``–``max_places`` decimals, nothing rounded."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"an amount must be a finite Decimal, not {value!r}")
    places = max(min_places, -value.normalize().as_tuple().exponent if value else 0)
    if places > max_places:
        raise ValueError(f"{value} has more than {max_places} decimals")
    return f"{value:.{places}f}".replace(".", ",")


def _number_text(value: Decimal) -> str:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise TypeError(f"a number must be a finite Decimal, not {value!r}")
    return f"{value.normalize():f}".replace(".", ",")
