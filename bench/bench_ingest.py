"""Import and posting of 200 000 invoice lines for 20 000 clients on PostgreSQL.

Measures in one run, on the same data:

(a) ingest: parsing a CSV of 200 000 lines and posting it (checks, invoices, lines, ledger entries, stored totals),
    the median of 3 runs, each on fresh invoice numbers against agreements with room for every run;
(b) naive_orm: the straightforward per-row ORM loop (fetch the agreement and the sub-account, check, create the
    invoice when new, the line and two entries, save the sub-account and the agreement) on a sample of rows,
    as rows per second;
(c) copy: a raw COPY of the same 200 000 parsed rows into a bare table with the same columns and no index or
    constraint, the median of 3 runs.

Ratios: ingest_vs_naive_orm = ingest rows/s ÷ naive rows/s; ingest_vs_copy = ingest rows/s ÷ copy rows/s.
Writes bench/results/ingest.json. The database is DATABASE_URL, else avain_bench_ingest on the local server; a
database whose name starts with ``avain_bench`` is the benchmark's own and is created afresh on every run.

    .venv/bin/python bench/bench_ingest.py [--clients 20000] [--lines-per-client 10] [--naive-rows 5000]
"""

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/avain_bench_ingest")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "avain.settings")

RUNS = 3
SEED = 20250415
PERIOD = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
TODAY = dt.datetime(2025, 4, 15, 9, 0, tzinfo=dt.UTC)  # the clock while posting: service dates are Feb–Mar 2025
UNIT_PRICE = Decimal("32.50")
QUANTITIES = [Decimal(q) for q in ("0.5", "1", "1.5", "2", "2.5", "3")]
# The columns of accounts.imports' CSV form.
CSV_HEADER = [
    "invoice_number", "invoice_date", "due_date", "agreement", "service_date", "quantity", "unit_price", "amount",
    "description",
]


def prepare_database() -> None:
    """Create the benchmark's database (afresh when it is its own) and migrate it."""
    import psycopg
    from psycopg import sql

    url = os.environ["DATABASE_URL"]
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info["dbname"]
    with psycopg.connect(psycopg.conninfo.make_conninfo(url, dbname="postgres"), autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and name.startswith("avain_bench"):
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_clients(n_clients: int, rooms: int):
    """The organiser, one provider and ``n_clients`` clients each with an active budget account, one plan line and
    one agreement with the provider, written in bulk. Grants and commitments are real ledger entries, so
    ``ledger.verify`` holds from the start. ``rooms`` is how many times over the agreement must hold a client's
    invoice lines."""
    from django.db import connection

    from avain.accounts.models import Agreement, BudgetAccount, EntryKind, LedgerEntry, SubAccount
    from avain.organisations.models import Role
    from avain.people.models import Client
    from avain.planning.models import CaseStatus, Decision, HBCase, PlanLine, PlanStatus, SupportPlan
    from avain.testing import make_organiser, make_provider, make_staff, valid_hetu

    start, end = PERIOD
    now = dt.datetime(2025, 1, 2, 9, 0, tzinfo=dt.UTC)
    organiser = make_organiser()
    worker = make_staff(organiser, Role.SOCIAL_WORKER)
    provider = make_provider(organiser, "Kotiapu Oy")
    # Each line is at most 3 units: room for every run and more.
    quantity = Decimal(3 * 10 * rooms)
    cap = quantity * UNIT_PRICE
    granted = cap + Decimal("1000.00")

    def bulk(model, objects):
        return model.objects.bulk_create(objects, batch_size=5000)

    clients = bulk(Client, [
        Client(organiser=organiser, first_name="Aino", last_name=f"Asiakas{i}",
               personal_identity_code=valid_hetu(900_000 + i), target_group="adults", created_at=now)
        for i in range(n_clients)
    ])
    cases = bulk(HBCase, [
        HBCase(organiser=organiser, client=c, worker=worker, status=CaseStatus.ACTIVE, opened_at=now,
               period_start=start, period_end=end)
        for c in clients
    ])
    plans = bulk(SupportPlan, [
        SupportPlan(organiser=organiser, case=case, version=1, status=PlanStatus.APPROVED, created_at=now)
        for case in cases
    ])
    plan_lines = bulk(PlanLine, [
        PlanLine(organiser=organiser, plan=plan, description="Henkilökohtainen apu", amount=granted) for plan in plans
    ])
    decisions = bulk(Decision, [
        Decision(organiser=organiser, case=case, plan=plan, period_start=start, period_end=end, amount=granted,
                 decided_by=worker, decided_at=now, snapshot={})
        for case, plan in zip(cases, plans, strict=True)
    ])
    accounts = bulk(BudgetAccount, [
        BudgetAccount(organiser=organiser, client=c, decision=d, opened_at=now, period_start=start, period_end=end)
        for c, d in zip(clients, decisions, strict=True)
    ])
    subs = bulk(SubAccount, [
        SubAccount(organiser=organiser, account=a, plan_line=pl, description=pl.description, planned=granted,
                   granted=granted, committed=cap)
        for a, pl in zip(accounts, plan_lines, strict=True)
    ])
    agreements = bulk(Agreement, [
        Agreement(organiser=organiser, account=a, sub_account=s, provider=provider, number=f"HB-B{i:07d}",
                  service="Henkilökohtainen apu", unit="tunti", unit_price=UNIT_PRICE, quantity=quantity, cap=cap,
                  valid_from=start, valid_until=end, made_by=worker, made_at=now)
        for i, (a, s) in enumerate(zip(accounts, subs, strict=True))
    ])
    bulk(LedgerEntry, [
        LedgerEntry(organiser=organiser, account_id=s.account_id, sub_account=s, kind=kind, amount=amount,
                    agreement=agreement, at=now, by=worker)
        for s, agreement in zip(subs, agreements, strict=True)
        for kind, amount, agreement in ((EntryKind.GRANT, granted, None), (EntryKind.COMMITMENT, cap, agreement))
    ])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would after such a load: the planner sees 20 000 rows, not 0
    return organiser, worker, provider, agreements


def make_rows(agreements, lines_per_client: int) -> list[list[str]]:
    """The invoice lines, as CSV fields without the invoice number's run prefix: per client one invoice for March,
    every line valid against the client's agreement."""
    from avain.core.money import round_money

    rng = random.Random(SEED)
    rows = []
    for i, agreement in enumerate(agreements):
        for k in range(lines_per_client):
            quantity = rng.choice(QUANTITIES)
            rows.append([
                f"{i:06d}", "2025-03-31", "2025-04-14", agreement.number, f"2025-03-{1 + k % 31:02d}", str(quantity),
                str(UNIT_PRICE), str(round_money(quantity * UNIT_PRICE)), "Kotiapu",
            ])
    return rows


def csv_bytes(rows: list[list[str]], prefix: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow([prefix + row[0], *row[1:]])
    return out.getvalue().encode()


def ingest(content: bytes, provider, user) -> tuple[int, int]:
    """Import and post one file through accounts.imports (stored, read and posted in one transaction); returns
    (lines posted, problems)."""
    from avain.accounts.imports import import_invoice_file

    record = import_invoice_file(provider=provider, filename="invoices.csv", data=content, received_by=user)
    return record.lines_posted, len(record.problems)


MEASURED = (
    "accounts.imports.import_invoice_file: store the file, read it, post it (set-based in PostgreSQL, "
    "accounts.csv_posting) and record the outcome, committed"
)


def naive_orm(content: bytes, provider, user, n_rows: int) -> int:
    """The straightforward loop: every row on its own through the ORM, in one transaction."""
    from django.db import transaction

    from avain.accounts.models import (
        Agreement, EntryKind, Invoice, InvoiceLine, InvoiceSource, InvoiceStatus, LedgerEntry, SubAccount,
    )
    from avain.core import clock
    from avain.core.money import round_money

    reader = csv.reader(io.StringIO(content.decode()), delimiter=";")
    next(reader)
    posted = 0
    with transaction.atomic():
        for row_number, row in enumerate(reader, start=2):
            if posted == n_rows:
                break
            number, invoice_date, due_date, agreement_number, service_date, quantity, price, amount, text = row
            quantity, price, amount = Decimal(quantity), Decimal(price), Decimal(amount)
            service_date = dt.date.fromisoformat(service_date)
            agreement = Agreement.objects.select_for_update().get(provider=provider, number=agreement_number)
            sub = SubAccount.objects.select_for_update().get(pk=agreement.sub_account_id)
            if (
                not agreement.valid_from <= service_date <= agreement.valid_until
                or price > agreement.unit_price
                or amount != round_money(quantity * price)
                or amount > agreement.remaining
                or quantity > agreement.quantity - agreement.used_quantity
            ):
                raise AssertionError(f"row {row_number} should be valid")
            now = clock.now()
            invoice, _ = Invoice.objects.get_or_create(
                organiser_id=provider.organiser_id, provider=provider, invoice_number=number,
                defaults={
                    "account_id": agreement.account_id, "source": InvoiceSource.CSV,
                    "invoice_date": dt.date.fromisoformat(invoice_date), "due_date": dt.date.fromisoformat(due_date),
                    "payee_name": provider.name, "payee_iban": provider.iban, "total": Decimal(0),
                    "status": InvoiceStatus.AWAITING_ACCEPTANCE, "recorded_by": user, "recorded_at": now,
                },
            )
            InvoiceLine.objects.create(
                organiser_id=provider.organiser_id, invoice=invoice, sub_account=sub, agreement=agreement,
                line_number=row_number, service_date=service_date, description=text, quantity=quantity,
                unit_price=price, amount=amount,
            )
            common = {"organiser_id": provider.organiser_id, "account_id": agreement.account_id, "sub_account": sub,
                      "invoice": invoice, "agreement": agreement, "at": now, "by": user}
            LedgerEntry.objects.create(kind=EntryKind.RELEASE, amount=-amount, **common)
            LedgerEntry.objects.create(kind=EntryKind.SPENDING, amount=amount, **common)
            invoice.total += amount
            invoice.save(update_fields=["total"])
            sub.committed -= amount
            sub.spent += amount
            sub.save(update_fields=["committed", "spent"])
            agreement.used_amount += amount
            agreement.used_quantity += quantity
            agreement.save(update_fields=["used_amount", "used_quantity"])
            posted += 1
    return posted


def copy_rows(rows: list[list[str]], prefix: str) -> None:
    """COPY the parsed rows into a bare table: the same columns, no index, no constraint."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_ingest_copy")
        cursor.execute(
            "CREATE TABLE bench_ingest_copy (invoice_number text, invoice_date date, due_date date, iban text, "
            "agreement text, service_date date, quantity numeric, unit_price numeric, amount numeric, description text)"
        )
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY bench_ingest_copy ({', '.join(CSV_HEADER)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([prefix + row[0], *row[1:]])


def timed(call, *args):
    started = time.perf_counter()
    value = call(*args)
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--lines-per-client", type=int, default=10)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    parser.add_argument("--profile", action="store_true", help="profile one ingest run with cProfile instead")
    args = parser.parse_args()

    prepare_database()
    from django.db import connection

    from avain.accounts import ledger
    from avain.accounts.models import InvoiceLine, SubAccount
    from avain.core.clock import frozen_at

    if connection.vendor != "postgresql":
        sys.exit("bench_ingest measures PostgreSQL: set DATABASE_URL to a PostgreSQL database")
    started = time.perf_counter()
    organiser, worker, provider, agreements = make_clients(args.clients, rooms=RUNS + 2)
    rows = make_rows(agreements, args.lines_per_client)
    setup_seconds = time.perf_counter() - started
    n_lines = len(rows)
    print(f"set up {args.clients} clients and {n_lines} lines in {setup_seconds:.1f} s", flush=True)

    if args.profile:
        import cProfile
        import pstats

        content = csv_bytes(rows, "P-")
        with frozen_at(TODAY):
            profile = cProfile.Profile()
            profile.enable()
            print(ingest(content, provider, worker))
            profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        return

    ingest_seconds, copy_seconds = [], []
    with frozen_at(TODAY):
        for run in range(RUNS):
            content = csv_bytes(rows, f"R{run}-")
            seconds, (posted, problems) = timed(ingest, content, provider, worker)
            if (posted, problems) != (n_lines, 0):
                sys.exit(f"run {run}: {posted} lines posted and {problems} problems, expected {n_lines} and 0")
            ingest_seconds.append(seconds)
            seconds, _ = timed(copy_rows, rows, f"R{run}-")
            copy_seconds.append(seconds)
            print(f"run {run}: ingest {ingest_seconds[-1]:.2f} s, copy {copy_seconds[-1]:.2f} s", flush=True)
        naive_content = csv_bytes(rows, "N-")
        naive_seconds, naive_posted = timed(naive_orm, naive_content, provider, worker, args.naive_rows)
    print(f"naive ORM: {naive_posted} rows in {naive_seconds:.2f} s", flush=True)

    # The ledger still adds up, and every line of every run was posted once.
    subs = SubAccount.objects.filter(organiser=organiser)
    mismatches = ledger.verify(subs)
    lines_in_db = InvoiceLine.objects.filter(organiser=organiser).count()
    expected_lines = RUNS * n_lines + naive_posted
    if mismatches or lines_in_db != expected_lines:
        sys.exit(f"ledger mismatches: {len(mismatches)}; lines {lines_in_db}, expected {expected_lines}")

    ingest_rate = n_lines / statistics.median(ingest_seconds)
    naive_rate = naive_posted / naive_seconds
    copy_rate = n_lines / statistics.median(copy_seconds)
    result = {
        "name": "ingest",
        "parameters": {
            "database": "postgresql",
            "server_version": connection.cursor().connection.info.server_version,
            "clients": args.clients,
            "lines": n_lines,
            "lines_per_client": args.lines_per_client,
            "invoices": len({row[0] for row in rows}),
            "naive_rows": naive_posted,
            "runs": RUNS,
            "seed": SEED,
            "measured": MEASURED,
        },
        "figures": {
            "setup_seconds": round(setup_seconds, 2),
            "ingest_seconds": [round(s, 3) for s in ingest_seconds],
            "ingest_seconds_median": round(statistics.median(ingest_seconds), 3),
            "ingest_rows_per_second": round(ingest_rate),
            "naive_orm_seconds": round(naive_seconds, 3),
            "naive_orm_rows_per_second": round(naive_rate, 1),
            "copy_seconds": [round(s, 3) for s in copy_seconds],
            "copy_seconds_median": round(statistics.median(copy_seconds), 3),
            "copy_rows_per_second": round(copy_rate),
            "ledger_mismatches": len(mismatches),
            "lines_posted_total": lines_in_db,
        },
        "ratios": {
            "ingest_vs_naive_orm": round(ingest_rate / naive_rate, 2),
            "ingest_vs_copy": round(ingest_rate / copy_rate, 3),
        },
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
    }
    out = ROOT / "bench" / "results" / "ingest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["ratios"]))


if __name__ == "__main__":
    main()
