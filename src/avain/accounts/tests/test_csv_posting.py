"""The set-based posting of CSV files on PostgreSQL (accounts.csv_posting) gives exactly what the reference path
(reading line by line and posting_provider_invoices) gives: the same invoices, lines, entries, totals and
problems, for random files mixing good lines with every kind of mistake, in plain files and in files the csv module
must read."""

import csv
import datetime as dt
import io
import random
import sys
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from avain.accounts import csv_posting, imports, ledger
from avain.accounts.agreements import end_agreement
from avain.accounts.models import Agreement, ImportFile, Invoice, InvoiceLine, LedgerEntry, SubAccount
from avain.core.clock import frozen_at
from avain.core.money import round_money
from avain.core.periods import Period
from avain.testing import account_of, case_active, make_agreement, make_provider, make_provider_contact

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based posting is PostgreSQL's"),
]

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)
HEADER = ["invoice_number", "invoice_date", "due_date", "agreement", "service_date", "quantity", "unit_price", "amount",
          "description", "payee_iban", "reference"]  # fmt: skip
OTHER_IBAN = "FI1410093000123458"  # a bank no test provider uses


@pytest.fixture
def world():
    """Two clients' accounts with agreements with one provider: roomy ones, a tight one, one priced by amount only,
    one ended; an agreement with another provider; and an invoice the provider sent before."""
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        first = account_of(case_active(period=PERIOD))
        second = account_of(case_active(organiser=first.organiser, period=PERIOD))
    with frozen_at(dt.datetime(2025, 2, 1, 9, 0, tzinfo=dt.UTC)):
        provider = make_provider(first.organiser)
        agreements = {
            "care": make_agreement(first, provider=provider, unit_price="40.00", quantity="30"),
            "trips": make_agreement(first, line=1, provider=provider, unit_price="25.00", quantity="3"),
            "cleaning": make_agreement(second, provider=provider, unit_price="30.00", quantity=None, amount="200.00"),
            "ended": make_agreement(second, line=1, provider=provider, unit_price="20.00", quantity="10"),
            "spring": make_agreement(
                second, provider=provider, unit_price="35.00", quantity="20",
                valid_from=dt.date(2025, 3, 1), valid_until=dt.date(2025, 5, 31),
            ),  # fmt: skip
            "theirs": make_agreement(first, unit_price="40.00", quantity="10"),
        }
        end_agreement(agreement=agreements["ended"], ended_by=first.decision.decided_by)
    user = make_provider_contact(provider)
    with frozen_at(IN_MARCH):
        imports.import_invoice_file(
            provider=provider,
            filename="earlier.csv",
            data=csv_text([["SENT-1", "2025-03-01", "2025-03-15", agreements["care"].number, "2025-02-20", "1",
                            "40.00", "40.00", "", "", ""]]).encode(),  # fmt: skip
            received_by=user,
        )
    return SimpleNamespace(provider=provider, user=user, agreements=agreements)


def csv_text(rows, *, quote_all: bool = False, delimiter: str = ";", line_end: str = "\n") -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(
        out, delimiter=delimiter, lineterminator=line_end, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL
    )
    writer.writerows([HEADER, *rows])
    return out.getvalue()


class _Rollback(Exception):
    pass


def outcome(world, data: bytes, *, set_based: bool, monkeypatch) -> dict:
    """Everything the import wrote, in terms that do not depend on ids; rolled back afterwards."""
    monkeypatch.setattr(imports, "posts_set_based", lambda: set_based)
    try:
        with transaction.atomic():
            with frozen_at(IN_MARCH):
                record = imports.import_invoice_file(
                    provider=world.provider, filename="invoices.csv", data=data, received_by=world.user
                )
            assert ledger.verify() == []
            raise _Rollback(snapshot(record))
    except _Rollback as done:
        return done.args[0]


def snapshot(record: ImportFile) -> dict:
    invoices = Invoice.objects.filter(import_file=record)
    numbers = dict(invoices.values_list("pk", "invoice_number"))
    return {
        "file": (record.status, record.lines_total, record.lines_posted, record.problems),
        "invoices": sorted(
            invoices.values_list(
                "invoice_number", "account_id", "provider_id", "source", "invoice_date", "due_date", "payee_name",
                "payee_iban", "reference", "total", "status", "recorded_by_id", "recorded_at",
            )
        ),  # fmt: skip
        "lines": sorted(
            (numbers[row[0]], *row[1:])
            for row in InvoiceLine.objects.filter(invoice__in=invoices).values_list(
                "invoice_id", "line_number", "sub_account_id", "agreement_id", "service_date", "description",
                "quantity", "unit_price", "amount", "organiser_id",
            )
        ),  # fmt: skip
        "entries": sorted(
            (numbers[row[0]], *row[1:])
            for row in LedgerEntry.objects.filter(invoice__in=invoices).values_list(
                "invoice_id", "kind", "amount", "sub_account_id", "agreement_id", "account_id", "organiser_id",
                "memo", "at", "by_id",
            )
        ),  # fmt: skip
        "sub_accounts": sorted(SubAccount.objects.values_list("pk", "granted", "committed", "spent", "paid")),
        "agreements": sorted(Agreement.objects.values_list("pk", "used_amount", "used_quantity")),
    }


def assert_same(world, data: bytes, monkeypatch) -> dict:
    """Posts ``data`` both ways and compares; the result says how many invoices the reference path was left."""
    left = []
    post = csv_posting.post_provider_invoices
    monkeypatch.setattr(csv_posting, "post_provider_invoices", lambda **kw: left.extend(kw["claims"]) or post(**kw))
    fast = outcome(world, data, set_based=True, monkeypatch=monkeypatch)
    fast["left_to_reference"] = sorted(claim.invoice_number for claim in left)
    reference = outcome(world, data, set_based=False, monkeypatch=monkeypatch)
    assert {key: value for key, value in fast.items() if key != "left_to_reference"} == reference
    return fast


def random_rows(rng: random.Random, world) -> list[list[str]]:
    """Lines for a few invoices: each example draws how often a line has a mistake (never, now and then, often),
    so that some files are posted wholly set-based, some wholly by the reference path, and most both ways."""
    a = world.agreements
    mistakes = rng.choice([0.0, 0.02, 0.1, 0.3])

    def mistake() -> bool:
        return rng.random() < mistakes

    details = {number: ["2025-03-28", "2025-04-11", "", ""] for number in ("A-1", "A-2", "A-3", "A-4", "SENT-1", "")}
    rows = []
    for _ in range(rng.randint(1, 14)):
        number = rng.choice(["SENT-1", ""]) if mistake() else rng.choice(["A-1", "A-2", "A-3", "A-4"])
        # An invoice is for one client: for the first, A-3 and A-4 for the second.
        own = [a["care"], a["care"], a["trips"]] if number in ("A-1", "A-2") else [a["cleaning"], a["spring"]]
        agreement = rng.choice([a["ended"], a["theirs"], a["care"], a["spring"]] if mistake() else own)
        agreement_text = rng.choice(["HB-NOPE", ""]) if mistake() else agreement.number
        first_day = dt.date(2025, 3, 1) if agreement == a["spring"] else dt.date(2025, 2, 1)
        day = first_day + dt.timedelta(days=rng.randint(0, (IN_MARCH.date() - first_day).days))
        if mistake():
            day = IN_MARCH.date() + dt.timedelta(days=rng.randint(1, 30))
        day_text = day.isoformat() if rng.random() > 0.2 else f"{day.day}.{day.month}.{day.year}"
        if mistake():
            day_text = rng.choice(["2025-02-30", "eilen", "2024-12-31"])
        quantity = rng.choice([Decimal("1"), Decimal("2"), Decimal("0.5"), Decimal("1.5")])
        price = agreement.unit_price
        if mistake():
            price = rng.choice([price + Decimal("1.00"), price - Decimal("5.00")])
        amount = round_money(quantity * price)
        if mistake():
            amount += Decimal("0.01")
        texts = [str(quantity), str(price), str(amount)]
        if rng.random() < 0.3:
            texts = [t.replace(".", ",") for t in texts]
        if mistake():
            texts[rng.randrange(3)] = rng.choice(["0", "-1", "1.234", "x", "99999999999", "", "1 000"])
        invoice_date, due_date, iban, reference = details[number]
        if mistake():
            invoice_date = "28.3.2025"  # the same date written differently: the reference reads it as the same
        if mistake():
            due_date = "2025-04-12"
        if rng.random() < 0.1:
            iban = rng.choice([world.provider.iban, "FI14 1009 3000 1234 58", OTHER_IBAN, "FI00123"])
            details[number][2] = iban
        if rng.random() < 0.1:
            reference = rng.choice(["1232", "RF18539007547034", "1234"])
            details[number][3] = reference
        description = rng.choice(["Kotiapu", "", "Siivous ja pyykit", "  Saattaja  "] + (["x" * 201] if mistake() else []))
        row = [number, invoice_date, due_date, agreement_text, day_text, *texts, description, iban, reference]
        if rng.random() < 0.05:
            at = rng.randrange(len(row))
            row[at] = f" {row[at]}\u00a0"
        rows.append(row)
    if mistake():
        rows.append(rows[0][:5])  # a short line
    if mistake():
        rows.append([*rows[0], "", ""])  # empty values beyond the header
    if mistake():
        rows.append([*rows[0], "extra"])
    return rows


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), quote_all=st.booleans(), blank_line=st.booleans(), crlf=st.booleans())
def test_the_set_based_posting_matches_the_reference(world, monkeypatch, seed, quote_all, blank_line, crlf):
    rng = random.Random(seed)
    text = csv_text(random_rows(rng, world), quote_all=quote_all and rng.random() < 0.3, line_end="\r\n" if crlf else "\n")
    if blank_line:
        # An empty line, a line of delimiters only (as spreadsheets write an empty row), or one with spaces too.
        lines = text.split("\n")
        blank = rng.choice(["", ";" * (len(HEADER) - 1), " ;" * (len(HEADER) - 1)])
        lines.insert(rng.randint(1, len(lines) - 1), blank + ("\r" if crlf else ""))
        text = "\n".join(lines)
    result = assert_same(world, text.encode(), monkeypatch)
    posted_here = {invoice[0] for invoice in result["invoices"]} - set(result["left_to_reference"])
    event(f"invoices posted set-based: {'some' if posted_here else 'none'}")
    event(f"invoices left to the reference path: {'some' if result['left_to_reference'] else 'none'}")


def test_a_plain_file_is_copied_as_it_is_and_posted_like_the_reference(world, monkeypatch):
    care, cleaning = world.agreements["care"].number, world.agreements["cleaning"].number
    rows = [
        ["B-1", "2025-03-28", "2025-04-11", care, "2025-03-03", "2", "40.00", "80.00", "Kotiapu", "", ""],
        ["B-1", "2025-03-28", "2025-04-11", care, "2025-03-10", "1,5", "40,00", "60,00", "", "", ""],
        ["B-2", "28.3.2025", "11.4.2025", cleaning, "2025-03-12", "2", "30.00", "60.00", "Siivous", "", ""],
        ["B-3", "2025-03-28", "2025-04-11", care, "2025-04-03", "1", "40.00", "40.00", "", "", ""],  # future date
    ]
    data = csv_text(rows).encode()
    assert imports.read_csv_table(data).plain_lines is not None
    result = assert_same(world, data, monkeypatch)
    assert result["file"][1:3] == (4, 3)
    assert [problem["code"] for problem in result["file"][3]] == ["date_in_future"]
    assert [invoice[0] for invoice in result["invoices"]] == ["B-1", "B-2"]
    assert result["left_to_reference"] == ["B-3"]


def test_files_with_quotes_or_uneven_lines_are_read_by_the_csv_module(world):
    care = world.agreements["care"].number
    row = ["B-1", "2025-03-28", "2025-04-11", care, "2025-03-03", "2", "40.00", "80.00", "Kotiapu", "", ""]
    assert imports.read_csv_table(csv_text([row], quote_all=True).encode()).plain_lines is None
    assert imports.read_csv_table(csv_text([row[:9]]).encode()).plain_lines is None
    assert imports.read_csv_table((csv_text([row]) + "\n\n").encode()).plain_lines is None
    assert imports.read_csv_table(csv_text([row], line_end="\r\n").encode()).plain_lines is not None


def test_values_padded_with_any_white_space_are_stripped_as_python_strips_them(world, monkeypatch):
    care = world.agreements["care"].number
    rows = [["\u3000B-1\t", "2025-03-28\u00a0", " 2025-04-11", care, "2025-03-03", "2", "40.00", "80.00 ", "", "", ""]]
    result = assert_same(world, csv_text(rows).encode(), monkeypatch)
    assert result["file"][1:3] == (1, 1)
    assert result["invoices"][0][0] == "B-1"
    assert result["left_to_reference"] == []


def test_an_agreement_without_room_for_the_whole_file_takes_the_first_lines_as_the_reference_does(world, monkeypatch):
    trips = world.agreements["trips"].number  # 3 units
    rows = [
        ["C-1", "2025-03-28", "2025-04-11", trips, "2025-03-03", "2", "25.00", "50.00", "", "", ""],
        ["C-2", "2025-03-28", "2025-04-11", trips, "2025-03-04", "2", "25.00", "50.00", "", "", ""],
        ["C-3", "2025-03-28", "2025-04-11", trips, "2025-03-05", "1", "25.00", "25.00", "", "", ""],
    ]
    result = assert_same(world, csv_text(rows).encode(), monkeypatch)
    assert [invoice[0] for invoice in result["invoices"]] == ["C-1", "C-3"]
    assert result["left_to_reference"] == ["C-1", "C-2", "C-3"]
    assert [problem["code"] for problem in result["file"][3]] == ["quantity_over_agreement"]


@pytest.mark.parametrize("blank", [";" * 10, " ;" * 10, "\u00a0;;;;;;;;;;"])
def test_a_line_of_delimiters_in_a_plain_file_is_skipped_as_the_reference_skips_it(world, monkeypatch, blank):
    care = world.agreements["care"].number
    row = ["D-1", "2025-03-28", "2025-04-11", care, "2025-03-03", "2", "40.00", "80.00", "Kotiapu", "", ""]
    data = csv_text([row]).replace("\n", f"\n{blank}\n", 1).encode()  # below the header
    assert imports.read_csv_table(data).plain_lines is not None
    result = assert_same(world, data, monkeypatch)
    assert result["file"][1:3] == (1, 1)
    assert result["lines"][0][1] == 3  # the file's own line number, the blank line counted


def test_the_whitespace_list_is_what_python_strips():
    assert csv_posting.WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
