"""The fast schema check (libxml2, ``passes_schema``) may stand in for the full one (xmlschema, ``schema_errors``) only
where it says "valid": a Finvoice invoice it passes must have no schema error at all. Checked on invoices the writer
makes and on the repository's sample, each broken at random (elements removed, repeated, moved or added, values
and attributes replaced), and on the cases where the two are known to differ."""

import copy
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from avain.accounts.formats.finvoice import SCHEMA, build_finvoice, parse_finvoice
from avain.accounts.formats.safexml import passes_schema, schema_errors

from .strategies import invoices

SAMPLE = (Path(__file__).parent / "data" / "finvoice_3_0_sample.xml").read_bytes()
# The sample is a transmission frame followed by the invoice: the invoice alone.
SAMPLE_INVOICE = SAMPLE[SAMPLE.index(b"<?xml", 10):]
VALUES = ("", " ", "abc", "12,50", "12.50", "-1", "2025-13-01", "20250328", "2025-03-28", "x" * 600, "0", "1e5",
          "FI4250001510000023", "ÄÖ€", "\t", "9" * 20)  # fmt: skip
TAGS = ("Foo", "RowFreeText", "InvoiceRow", "SubInvoiceRow", "InvoiceDetails")
ATTRIBUTES = ("AmountCurrencyIdentifier", "QuantityUnitCode", "Format", "Foo")


def verdicts(root) -> tuple[bool, bool]:
    return passes_schema(root, SCHEMA), not schema_errors(root, SCHEMA)


@st.composite
def broken(draw, source: bytes | None = None):
    """An invoice (the writer's, or ``source``) with one to three random changes."""
    root = etree.fromstring(source if source is not None else build_finvoice(draw(invoices())))
    for _ in range(draw(st.integers(1, 3))):
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        elem = draw(st.sampled_from(elements))
        parent = elem.getparent()
        change = draw(st.sampled_from(["remove", "repeat", "move", "text", "add", "attribute"]))
        if parent is not None and change == "remove":
            parent.remove(elem)
        elif parent is not None and change == "repeat":
            parent.insert(parent.index(elem), copy.deepcopy(elem))
        elif parent is not None and change == "move":
            parent.remove(elem)
            parent.insert(draw(st.integers(0, len(parent))), elem)
        elif change == "text" and len(elem) == 0:
            elem.text = draw(st.sampled_from(VALUES))
        elif change == "add":
            etree.SubElement(elem, draw(st.sampled_from(TAGS))).text = "1"
        elif change == "attribute":
            elem.set(draw(st.sampled_from(ATTRIBUTES)), draw(st.sampled_from(VALUES)))
    return root


@settings(max_examples=150)
@given(st.one_of(broken(), broken(SAMPLE_INVOICE)))
def test_an_invoice_the_fast_check_passes_has_no_schema_error(root):
    fast, full = verdicts(root)
    assert full or not fast


@settings(max_examples=25)
@given(invoices())
def test_both_checks_pass_what_the_writer_makes(invoice):
    assert verdicts(etree.fromstring(build_finvoice(invoice))) == (True, True)


def test_where_the_two_differ_the_full_check_decides():
    """libxml2 reads the schema's ``\\c`` pattern more strictly than xmlschema: it refuses "€" in an account number.
    The reader then runs the full check, which finds nothing, so the invoice reads as it always did."""
    root = etree.fromstring(SAMPLE_INVOICE)
    root.find("SellerInformationDetails/SellerAccountDetails/SellerAccountID").text = "FI4250001510000023€"
    assert verdicts(root) == (False, True)
    result = parse_finvoice(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert not [error for error in result.errors if error.code in ("schema", "row_schema")]
