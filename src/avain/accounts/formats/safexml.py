"""Reading untrusted XML safely, and checking it against a vendored schema.

Every file is first read by ``defusedxml`` with DTDs, entity declarations and external references forbidden, so
"billion laughs" and external-entity tricks stop there with a clear error. Only then does lxml parse it, with entity
resolution, DTD loading and network access switched off, for the XPath-style navigation and the schema check.
Schemas are loaded from ``schemas/`` beside this file and may only refer to files in that folder.
"""

import functools
import threading
from pathlib import Path

import xmlschema
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as DefusedElementTree
from lxml import etree

from avain.accounts.formats.errors import FileFormatError, FormatError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
MAX_XML_BYTES = 20 * 1024 * 1024


def parse_untrusted(data: bytes, *, what: str) -> etree._Element:
    """The root element of ``data``, or ``FileFormatError`` (codes ``file_empty``, ``file_too_large``,
    ``xml_unsafe``, ``not_xml``). ``what`` names the expected file in messages (e.g. "a Finvoice invoice")."""
    if not isinstance(data, bytes | bytearray):
        raise TypeError("give the file's content as bytes")
    data = bytes(data)
    if not data.strip():
        raise FileFormatError(FormatError("file_empty", f"The file is empty; expected {what}."))
    if len(data) > MAX_XML_BYTES:
        raise FileFormatError(
            FormatError(
                "file_too_large",
                f"The file is larger than {MAX_XML_BYTES // (1024 * 1024)} MB.",
                params={"limit_mb": MAX_XML_BYTES // (1024 * 1024)},
            )
        )
    try:
        DefusedElementTree.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise FileFormatError(
            FormatError(
                "xml_unsafe",
                "The file declares a DTD or entities, which are not accepted in an uploaded file.",
                params={"detail": type(error).__name__},
            )
        ) from None
    except DefusedElementTree.ParseError as error:
        raise FileFormatError(_not_xml(what, str(error))) from None
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise FileFormatError(_not_xml(what, str(error))) from None


def _not_xml(what: str, detail: str) -> FormatError:
    return FormatError("not_xml", f"The file is not readable XML, so it cannot be {what} ({detail}).", params={"detail": detail})


@functools.cache
def schema(filename: str) -> xmlschema.XMLSchema:
    """A vendored schema, loaded once per process; it may read nothing outside the schemas folder."""
    return xmlschema.XMLSchema(str(SCHEMA_DIR / filename), allow="sandbox")


_per_thread = threading.local()


def _compiled_schema(filename: str) -> etree.XMLSchema:
    """The same vendored schema compiled by libxml2, once per thread (lxml does not promise that one compiled schema
    may validate in several threads at once; compiling takes about 10 ms)."""
    compiled = _per_thread.__dict__.setdefault("schemas", {})
    if filename not in compiled:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        compiled[filename] = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / filename), parser))
    return compiled[filename]


def passes_schema(root: etree._Element, filename: str) -> bool:
    """Whether libxml2 finds the tree valid: a fast first check, about a hundred times faster than ``schema_errors``,
    for reading many documents. Only its "valid" is relied on (a tree it finds valid is valid for ``schema_errors``
    too: ``tests/formats/test_safexml.py`` checks that on mutated documents); where it finds faults, ``schema_errors``
    lists them, as it reports each with its element."""
    return _compiled_schema(filename).validate(root)


def schema_errors(root: etree._Element, filename: str) -> list[xmlschema.XMLSchemaValidationError]:
    """Every schema violation in the tree (not just the first)."""
    # The tree is already parsed: the validator may open nothing (no xsi:schemaLocation, no includes from the data).
    return list(schema(filename).iter_errors(xmlschema.XMLResource(root, allow="none")))


def is_valid(data: bytes | etree._Element, filename: str) -> bool:
    root = parse_untrusted(data, what="XML") if isinstance(data, bytes | bytearray) else data
    return not schema_errors(root, filename)


def describe_schema_error(error: xmlschema.XMLSchemaValidationError) -> str:
    """A one-line, human account of a schema violation: the element, its value and what the schema wants."""
    elem = error.elem
    name = etree.QName(elem).localname if elem is not None and isinstance(elem.tag, str) else "?"
    reason = error.reason or "does not follow the schema"
    value = (elem.text or "").strip() if elem is not None and isinstance(elem.tag, str) else ""
    if value and len(value) <= 70 and len(elem) == 0:
        return f"{name} “{value}”: {reason}"
    return f"{name}: {reason}"


def localname(elem: etree._Element) -> str:
    return etree.QName(elem).localname
