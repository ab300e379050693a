"""An import killed half-way leaves nothing behind, and running it again completes it exactly once.

The import runs as ``python -m avain import_invoices`` in a child process against the test database and kills itself
with SIGKILL at a checkpoint (``avain.core.faults``), as a power cut would. Only PostgreSQL can be shared with a child
process: the SQLite test database lives in memory.
"""

import datetime as dt
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from avain.accounts import ledger
from avain.accounts.formats.finvoice import InvoiceMessage, InvoiceRow, build_finvoice, build_finvoice_file
from avain.accounts.models import ImportFile, ImportStatus, Invoice, InvoiceLine, LedgerEntry
from avain.core import clock
from avain.core.periods import Period
from avain.testing import account_of, case_active, default_period, make_agreement, make_provider, make_provider_contact

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="a child process cannot see SQLite's in-memory test database; run on PostgreSQL",
    ),
]

SRC = Path(__file__).resolve().parents[3]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db['USER'] or '', safe='')}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _run(args, *, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "AVAIN_FAULT"}
    env.update(DATABASE_URL=_database_url(), DJANGO_SETTINGS_MODULE="avain.settings", PYTHONPATH=str(SRC))
    if fault:
        env["AVAIN_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "avain", "import_invoices", *args], env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def world(tmp_path):
    """Agreements, a provider and its user, committed so that the child process sees them; a Finvoice file of
    three rows dated today (the child runs on the real clock)."""
    period = default_period()
    account = account_of(case_active(period=Period(period.start, period.end)))
    provider = make_provider(account.organiser)
    care = make_agreement(account, provider=provider, unit_price="40.00", quantity="10")
    trips = make_agreement(account, line=1, provider=provider, unit_price="25.00", quantity="8")
    user = make_provider_contact(provider)
    today = clock.today()
    rows = tuple(
        InvoiceRow(n, unit_price=Decimal(price), quantity=Decimal(quantity), amount=Decimal(amount),
                   delivery_date=today, buyer_reference=agreement.number)
        for n, (agreement, quantity, price, amount) in enumerate(
            [(care, "2", "40.00", "80.00"), (trips, "1", "25.00", "25.00"), (care, "1", "40.00", "40.00")], start=1)
    )
    path = tmp_path / "invoice.xml"
    path.write_bytes(
        build_finvoice(
            InvoiceMessage(
                seller_business_id=provider.business_id,
                seller_name=provider.name,
                seller_iban=provider.iban,
                buyer_name="Hyvinvointialue",
                invoice_number="C-1",
                invoice_date=today,
                due_date=today + dt.timedelta(days=14),
                total=Decimal("145.00"),
                rows=rows,
            )
        )
    )
    args = [str(path), "--provider", provider.business_id, "--organiser", account.organiser.code,
            "--user", user.username, "--language", "en"]
    return args


def _nothing_recorded() -> bool:
    return not (
        ImportFile.objects.exists()
        or Invoice.objects.exists()
        or InvoiceLine.objects.exists()
        or LedgerEntry.objects.filter(invoice__isnull=False).exists()
    )


@pytest.mark.parametrize("checkpoint", ["import:received", "import:posted"])
def test_an_import_killed_half_way_leaves_nothing_and_the_rerun_posts_everything_once(world, checkpoint):
    entries_before = LedgerEntry.objects.count()

    killed = _run(world, fault=checkpoint)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _nothing_recorded()
    assert LedgerEntry.objects.count() == entries_before
    assert ledger.verify() == []

    rerun = _run(world)

    assert rerun.returncode == 0, rerun.stderr
    assert "lines read: 3, posted: 3, failed: 0" in rerun.stdout
    import_file = ImportFile.objects.get()
    assert (import_file.status, import_file.lines_posted) == (ImportStatus.PROCESSED, 3)
    invoice = Invoice.objects.get()
    assert (invoice.total, invoice.lines.count()) == (Decimal("145.00"), 3)
    assert LedgerEntry.objects.filter(invoice=invoice).count() == 4  # a release and a spending per agreement
    assert ledger.verify() == []

    again = _run(world)

    assert again.returncode == 0, again.stderr
    assert "nothing was posted again" in again.stdout
    assert (ImportFile.objects.count(), Invoice.objects.count(), InvoiceLine.objects.count()) == (1, 1, 3)


@pytest.fixture
def batch_world(tmp_path):
    """As :func:`world`, but the file is a transmission file of three invoices: B-1 and B-3 right, B-2 with a row
    above the agreed price (its row 2) beside a right one."""
    period = default_period()
    account = account_of(case_active(period=Period(period.start, period.end)))
    provider = make_provider(account.organiser)
    care = make_agreement(account, provider=provider, unit_price="40.00", quantity="10")
    trips = make_agreement(account, line=1, provider=provider, unit_price="25.00", quantity="8")
    user = make_provider_contact(provider)
    today = clock.today()

    def invoice(number, lines):
        rows = tuple(
            InvoiceRow(n, unit_price=Decimal(price), quantity=Decimal(1), amount=Decimal(price), delivery_date=today,
                       buyer_reference=agreement.number)
            for n, (agreement, price) in enumerate(lines, start=1)
        )
        return InvoiceMessage(
            seller_business_id=provider.business_id, seller_name=provider.name, seller_iban=provider.iban,
            buyer_name="Hyvinvointialue", invoice_number=number, invoice_date=today,
            due_date=today + dt.timedelta(days=14), total=sum((row.amount for row in rows), Decimal("0.00")),
            rows=rows,
        )

    path = tmp_path / "batch.xml"
    path.write_bytes(build_finvoice_file([
        invoice("B-1", [(care, "40.00"), (trips, "25.00")]),
        invoice("B-2", [(care, "40.00"), (trips, "30.00")]),
        invoice("B-3", [(trips, "25.00")]),
    ]))
    return [str(path), "--provider", provider.business_id, "--organiser", account.organiser.code,
            "--user", user.username, "--language", "en"]


@pytest.mark.parametrize("checkpoint", ["import:received", "import:posted"])
def test_a_file_of_several_invoices_killed_half_way_leaves_nothing_and_the_rerun_posts_each_once(
    batch_world, checkpoint
):
    killed = _run(batch_world, fault=checkpoint)

    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _nothing_recorded()
    assert ledger.verify() == []

    rerun = _run(batch_world)

    assert rerun.returncode == 0, rerun.stderr
    assert "lines read: 5, posted: 4, failed: 1" in rerun.stdout
    assert "line 2: Invoice B-2 (no. 2 in the file): The price 30.00 € is more than the agreed 25.00 € per unit." in (
        rerun.stdout)
    assert sorted(Invoice.objects.values_list("invoice_number", "total")) == [
        ("B-1", Decimal("65.00")), ("B-2", Decimal("40.00")), ("B-3", Decimal("25.00"))]
    assert ledger.verify() == []

    again = _run(batch_world)

    assert again.returncode == 0, again.stderr
    assert "nothing was posted again" in again.stdout
    assert (ImportFile.objects.count(), Invoice.objects.count(), InvoiceLine.objects.count()) == (1, 3, 4)
