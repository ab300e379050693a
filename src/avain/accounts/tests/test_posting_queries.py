"""Posting invoices is set-based: the number of queries does not grow with the number of lines, and posting many
invoices in one call leaves exactly the ledger that posting them one by one would."""

import datetime as dt
from dataclasses import replace

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from avain.accounts import ledger
from avain.accounts.models import Agreement, Invoice, InvoiceLine, InvoiceSource, LedgerEntry, SubAccount
from avain.accounts.posting import InvoiceClaim, post_provider_invoices
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.testing import account_of, case_active, invoice_claim, make_agreement, make_provider

pytestmark = pytest.mark.django_db

PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
OPENED = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
IN_MARCH = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)


def _agreements(count: int, *, quantity: str = "20") -> list[Agreement]:
    """``count`` clients' open accounts, each with an agreement with the same provider (40 € a unit)."""
    with frozen_at(OPENED):
        first = case_active(period=PERIOD)
        cases = [first] + [
            case_active(organiser=first.organiser, worker=first.worker, period=PERIOD) for _ in range(count - 1)
        ]
    provider = make_provider(first.organiser)
    with frozen_at(IN_MARCH):
        return [make_agreement(account_of(case), provider=provider, unit_price="40.00", quantity=quantity) for case in cases]


def _post(claims, provider, by):
    with frozen_at(IN_MARCH):
        return post_provider_invoices(provider=provider, claims=claims, source=InvoiceSource.CSV, recorded_by=by)


def _march(day: int) -> dt.date:
    return dt.date(2025, 3, day)


def _one_invoice(claim: InvoiceClaim, other: InvoiceClaim) -> InvoiceClaim:
    """``claim`` with the lines of ``other`` added after its own."""
    lines = [replace(line, line=n) for n, line in enumerate((*claim.lines, *other.lines), start=1)]
    return replace(claim, lines=tuple(lines))


def test_the_number_of_queries_does_not_grow_with_the_lines():
    agreements = _agreements(20)
    provider, by = agreements[0].provider, agreements[0].made_by

    def queries(claims) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            result = _post(claims, provider, by)
        assert result.problems == []
        return len(captured), result.lines_posted

    few, two = queries([invoice_claim(agreement, (_march(1), "1")) for agreement in agreements[:2]])
    many, two_hundred = queries(
        [invoice_claim(agreement, *[(_march(2 + k), "1") for k in range(10)]) for agreement in agreements]
    )
    assert (two, two_hundred) == (2, 200)
    assert many == few
    assert ledger.verify() == []


class _Undo(Exception):
    """Raised to roll back a posting after reading what it left."""


def _ledger_state() -> dict:
    """Everything posting writes, without the ids it draws, so that two postings of the same claims compare."""
    return {
        "entries": sorted(
            LedgerEntry.objects.values_list(
                "sub_account_id", "kind", "amount", "invoice__invoice_number", "agreement_id", "memo", "at", "by_id"
            ),
            key=repr,
        ),
        "totals": list(SubAccount.objects.order_by("pk").values_list("pk", *ledger.BUCKETS)),
        "agreements": list(Agreement.objects.order_by("pk").values_list("pk", "used_amount", "used_quantity")),
        "invoices": sorted(
            Invoice.objects.values_list(
                "invoice_number", "account_id", "provider_id", "source", "invoice_date", "due_date", "payee_name",
                "payee_iban", "reference", "total", "status", "recorded_by_id", "recorded_at", "import_file_id",
            )
        ),
        "lines": sorted(
            InvoiceLine.objects.values_list(
                "invoice__invoice_number", "line_number", "organiser_id", "sub_account_id", "agreement_id",
                "service_date", "description", "quantity", "unit_price", "amount",
            )
        ),
    }


def _posted_then_undone(calls, provider, by) -> tuple[dict, list]:
    """The ledger and the problems after posting each list of claims in ``calls`` in turn; then all is undone."""
    try:
        with transaction.atomic():
            problems = []
            for claims in calls:
                problems += [(p.line, p.code, p.params) for p in _post(claims, provider, by).problems]
            assert ledger.verify() == []
            raise _Undo(_ledger_state(), problems)
    except _Undo as undo:
        return undo.args


def test_posting_many_invoices_at_once_leaves_the_same_ledger_as_one_by_one():
    first, second, third, fourth = _agreements(4, quantity="5")
    provider, by = first.provider, first.made_by
    with frozen_at(IN_MARCH):
        # A second agreement of the second client, on another plan line.
        other_line = make_agreement(second.account, line=1, provider=provider, unit_price="25.00", quantity="4")
    claims = [
        invoice_claim(first, (_march(1), "2"), (_march(2), "1.5")),
        # The agreement has 1.5 units left after the invoice above: the second line is refused.
        invoice_claim(first, (_march(3), "1"), (_march(4), "1")),
        invoice_claim(second, (_march(5), "1"), (_march(6), "1", "45.00", "45.00")),  # above the agreed price
        # Two agreements of one client on one invoice.
        _one_invoice(invoice_claim(second, (_march(7), "2")), invoice_claim(other_line, (_march(7), "3"))),
        # Two clients on one invoice: the second client's line is refused.
        _one_invoice(invoice_claim(third, (_march(8), "1")), invoice_claim(fourth, (_march(8), "1"))),
        invoice_claim(fourth, (_march(9), "4"), (_march(10), "2")),  # the second line is more than is left
    ]
    at_once = _posted_then_undone([claims], provider, by)
    one_by_one = _posted_then_undone([[claim] for claim in claims], provider, by)

    assert at_once[0] == one_by_one[0]
    assert sorted(at_once[1], key=repr) == sorted(one_by_one[1], key=repr)
    assert [code for _, code, _ in at_once[1]] == [
        "quantity_over_agreement", "price_above_agreed", "mixed_clients", "quantity_over_agreement"
    ]
    assert len(at_once[0]["lines"]) == 8
