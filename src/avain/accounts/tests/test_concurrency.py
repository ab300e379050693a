"""Many invoices posted at once against one account, on PostgreSQL: never an overspend, never a deadlock.

Each thread has its own database connection and posts through the real service, as parallel web requests and
imports would. The invoices quote two agreements in opposite orders, which would deadlock writers that locked rows
in the order they met them; the services lock accounts, agreements and sub-accounts in id order instead.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from avain.accounts import ledger
from avain.accounts.models import Agreement, Invoice, InvoiceLine, InvoiceSource, SubAccount
from avain.accounts.posting import InvoiceClaim, LineClaim, post_provider_invoices
from avain.core.clock import frozen_at
from avain.core.periods import Period
from avain.testing import account_of, case_active, make_agreement, make_provider

THREADS = 20
PERIOD = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
MOMENT = dt.datetime(2025, 3, 31, 12, 0, tzinfo=dt.UTC)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL"),
]


def _claim(n: int, first: Agreement, second: Agreement) -> InvoiceClaim:
    # Odd threads name the agreements in the other order: lock ordering must not depend on the file's order.
    day = dt.date(2025, 3, 1 + n % 28)
    lines = [
        LineClaim(1, first.number, day, Decimal("2"), Decimal("50.00"), Decimal("100.00")),
        LineClaim(2, second.number, day, Decimal("1"), Decimal("50.00"), Decimal("50.00")),
    ]
    return InvoiceClaim(
        invoice_number=f"R-{n}",
        invoice_date=day,
        due_date=day + dt.timedelta(days=14),
        payee_iban=first.provider.iban,
        lines=tuple(lines if n % 2 else reversed(lines)),
    )


def test_twenty_threads_posting_at_once_never_overspend_or_deadlock():
    with frozen_at(dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)):
        account = account_of(case_active(period=PERIOD))
    provider = make_provider(account.organiser)
    with frozen_at(MOMENT):
        # 10 units on each line: room for five threads' first lines (2 units) and ten threads' second lines.
        first = make_agreement(account, line=0, provider=provider, unit_price="50.00", quantity="10")
        second = make_agreement(account, line=1, provider=provider, unit_price="50.00", quantity="10")
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []
    refusals: list[str] = []

    def work(n: int) -> None:
        try:
            start.wait()
            with frozen_at(MOMENT):
                result = post_provider_invoices(
                    provider=provider, claims=[_claim(n, first, second)], source=InvoiceSource.CSV,
                    recorded_by=first.made_by,
                )
            refusals.extend(problem.code for problem in result.problems)
        except (ValidationError, Exception) as error:  # a deadlock or a constraint violation would land here
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck: deadlock or lock wait"
    assert failures == []

    first.refresh_from_db()
    second.refresh_from_db()
    # Exactly what fits was posted, line by line: 5 × 100 € on the first agreement, 10 × 50 € on the second.
    assert (first.used_amount, first.used_quantity) == (Decimal("500.00"), Decimal("10"))
    assert (second.used_amount, second.used_quantity) == (Decimal("500.00"), Decimal("10"))
    assert sorted(refusals) == ["quantity_over_agreement"] * (THREADS * 2 - 15)
    assert InvoiceLine.objects.count() == 15
    assert sum(invoice.total for invoice in Invoice.objects.all()) == Decimal("1000.00")
    for sub in SubAccount.objects.filter(account=account):
        assert sub.left >= 0 and sub.committed >= 0
    assert ledger.verify() == []


def test_a_rejection_and_an_approved_change_at_once_leave_no_money_on_a_closed_line():
    """Whichever goes first, the money of the rejected invoice ends on an open line, counted once."""
    from avain.accounts import selectors
    from avain.accounts.invoices import reject_invoice
    from avain.accounts.tests.test_plan_change_account import (
        ASSISTANT,
        HOBBIES,
        change_forwarded,
        decided_lines,
        invoice_of,
        opened,
        unspent,
    )
    from avain.organisations.models import Role
    from avain.planning.services import approve_plan
    from avain.testing import make_staff

    case, account = opened(4)
    old = decided_lines(case)
    with frozen_at(dt.datetime(2025, 2, 10, 9, 0, tzinfo=dt.UTC)):
        agreement = make_agreement(account, line=0, unit_price="30.00", quantity="10")
        invoice = invoice_of(agreement, "2")  # 60 spent on the assistant
        plan = change_forwarded(case, [(ASSISTANT, "1000.00", old[ASSISTANT]), (HOBBIES, "1800.00", old[HOBBIES])])
    approver = make_staff(case.organiser, Role.APPROVER)
    before = unspent(account)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            start.wait()
            with frozen_at(dt.datetime(2025, 2, 11, 9, 0, tzinfo=dt.UTC)):
                if n == 0:
                    reject_invoice(invoice=invoice, by=case.worker, reason="Palvelua ei annettu.")
                else:
                    approve_plan(plan=plan, approver=approver)
        except (ValidationError, Exception) as error:
            failures.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck: deadlock or lock wait"
    assert failures == []
    subs = list(SubAccount.objects.filter(account=account))
    assert all(sub.left == 0 and sub.committed == 0 for sub in subs if not sub.is_open)
    assert {sub.description: sub.planned for sub in subs if sub.is_open} == {ASSISTANT: Decimal("1000.00"), HOBBIES: Decimal("1800.00")}
    assert unspent(account) == before + Decimal("60.00")
    assert selectors.account_overview(account).planned == Decimal("2800.00")
    assert ledger.verify() == []
