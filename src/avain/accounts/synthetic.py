"""Synthetic data at any size for the benchmarks: organisers, staff, providers, clients with active cases, approved
plans, decisions, budget accounts, agreements, invoices, payments and ledger entries.

The same seed always makes the same data (every random choice comes from ``random.Random`` seeded per client, and
every date from ``BASE_TIME``, never from the clock). Primary keys are allocated here, after the largest ones in
the database, so a run adds to whatever is there.

The per-row services (``grant_budget``, ``make_agreement``, ``post_provider_invoices``) would take hours for ten
million entries, so the rows are written directly: with ``COPY`` on PostgreSQL, with plain multi-row inserts
elsewhere (small sizes only). To stay correct without the services, each account is simulated in memory with the
same rules the services enforce: an agreement commits its cap on a plan line only when it fits in what is left, an
invoice turns committed money into spending (a release and a spending entry), a payment pays a spent invoice in full,
ending an agreement releases what it did not use. The stored totals of each sub-account and agreement are the sums
of the entries made for it, so ``ledger.verify()`` finds nothing and the database's check constraints hold.
"""

import contextlib
import datetime as dt
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from avain.catalogue.models import Provider, ProviderKind, RegistrationStatus
from avain.core import identifiers
from avain.core.models import User
from avain.organisations.models import Organiser, Role, StaffMembership
from avain.people.models import Client, Language, TargetGroup
from avain.planning.explanation import SNAPSHOT_VERSION
from avain.planning.models import (
    ApprovalRule,
    CaseAction,
    CaseStatus,
    CaseTransition,
    Decision,
    HBCase,
    PlanApproval,
    PlanLine,
    PlanStatus,
    SupportPlan,
)

from .models import (
    AccountStatus,
    Agreement,
    AgreementStatus,
    BatchStatus,
    BudgetAccount,
    EntryKind,
    FundingRule,
    Instalment,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    InvoiceStatus,
    LedgerEntry,
    PayerAccount,
    Payment,
    PaymentBatch,
    PaymentStatus,
    SubAccount,
)

# Every budget runs over the calendar year 2025. A fixed date, so that the same seed gives the same rows any day.
PERIOD_START = dt.date(2025, 1, 1)
PERIOD_END = dt.date(2025, 12, 31)
BASE_TIME = dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.UTC)
LAST_TIME = dt.datetime(2025, 12, 31, 16, 0, tzinfo=dt.UTC)  # no movement after the period (agreements end then)
# Django treats a stored password that starts with "!" as unusable: nobody can sign in with it, and no hashing
# (a tenth of a second per user) is spent on a hundred thousand users. The benchmark signs users in with force_login.
UNUSABLE_PASSWORD = "!synthetic"

FIRST_NAMES = (
    "Aino", "Eino", "Helmi", "Väinö", "Ilmari", "Kerttu", "Onni", "Siiri", "Toivo", "Lilja", "Leevi", "Venla",
    "Elias", "Aada", "Oliver", "Sofia", "Juho", "Emma", "Mikael", "Linnea",
)
LAST_NAMES = (
    "Korhonen", "Virtanen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
    "Järvinen", "Lehtonen", "Lehtinen", "Saarinen", "Salminen", "Heinonen", "Niemi", "Heikkilä", "Kinnunen",
    "Salonen", "Turunen", "Lindholm", "Sjöberg",
)
# What a plan line is for, and its price per hour in cents.
PURPOSES = (
    ("Henkilökohtainen apu arkeen", 3200),
    ("Liikunta ja harrastukset", 2500),
    ("Kotiapu ja siivous", 3850),
    ("Kuljetus ja asiointi", 4200),
    ("Vertaistuki ja ryhmät", 2800),
    ("Kurssit ja opiskelu", 5600),
)
PROVIDER_KINDS = (ProviderKind.COMPANY, ProviderKind.ASSOCIATION, ProviderKind.PUBLIC)
NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # as agreements.new_agreement_number, no 0/O or 1/I/L
CHUNK_CLIENTS = 2000  # clients per transaction: bounds memory and the queue of deferred foreign-key checks
BULK_ENTRIES = 200_000  # from this many entries on PostgreSQL, load in bulk mode (see _bulk_start)


@dataclass
class Summary:
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    # The first primary key this run used per table: the run's rows are those from here on.
    first_ids: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    bulk: bool = False  # PostgreSQL bulk mode: one transaction, foreign-key triggers off, indexes rebuilt at the end

    def lines(self) -> list[str]:
        width = max(len(name) for name in self.counts)
        rows = [f"  {name:<{width}}  {count:>12,}" for name, count in self.counts.items()]
        total = sum(self.counts.values())
        return [
            f"Synthetic data, seed {self.seed}:",
            *rows,
            f"  {'rows in all':<{width}}  {total:>12,}",
            f"Made in {self.seconds:.1f} s ({total / max(self.seconds, 1e-9):,.0f} rows/s) on {connection.vendor}"
            + (" in bulk mode." if self.bulk else "."),
        ]


class _Table:
    """Rows for one model, as database values, in the order of ``attnames`` followed by every other column filled
    with its field's default (so a column added later with a default needs no change here)."""

    def __init__(self, model: type[models.Model], attnames: tuple[str, ...]):
        self.model = model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        missing = [a for a in attnames if a not in fields]
        if missing:
            raise ValueError(f"{model.__name__} has no fields {missing}")
        tail_fields = [f for f in fields.values() if f.attname not in attnames]
        tail = []
        for f in tail_fields:
            default = f.get_default()
            if default is None and not f.null:
                raise ValueError(f"{model.__name__}.{f.name} needs a value: the synthetic data does not set it yet")
            tail.append(None if default is None else f.get_db_prep_save(default, connection))
        self.columns = [fields[a].column for a in attnames] + [f.column for f in tail_fields]
        self.tail = tuple(tail)
        self.rows: list[tuple] = []

    def add(self, *values) -> None:
        self.rows.append(values + self.tail)

    def write(self) -> int:
        count = len(self.rows)
        if count:
            _write_rows(self.model._meta.db_table, self.columns, self.rows)
        self.rows = []
        return count


def _sqlite_value(value):
    # Django's own adapters store datetimes as naive UTC text on SQLite; the sqlite3 module's would keep "+00:00".
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _write_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    qn = connection.ops.quote_name
    column_list = ", ".join(qn(c) for c in columns)
    if connection.vendor == "postgresql":
        # COPY is several times faster than INSERT; the raw psycopg cursor shares Django's connection and transaction.
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {qn(table)} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        placeholders = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {qn(table)} ({column_list}) VALUES ({placeholders})",
                [tuple(_sqlite_value(v) for v in row) for row in rows],
            )


class _Ids:
    """Primary keys handed out here, after the largest already in the database."""

    def __init__(self, model_list):
        self.next = {m: (m.objects.aggregate(top=Max("pk"))["top"] or 0) + 1 for m in model_list}
        self.first = dict(self.next)

    def take(self, model) -> int:
        pk = self.next[model]
        self.next[model] = pk + 1
        return pk


def _agreement_number(pk: int) -> str:
    # Unique because the primary key is; readable like the real ones ("HB-" and eight characters).
    digits = []
    for _ in range(8):
        pk, rest = divmod(pk, len(NUMBER_ALPHABET))
        digits.append(NUMBER_ALPHABET[rest])
    return "HB-" + "".join(reversed(digits))


def _hetu(n: int) -> str:
    """The ``n``-th of distinct valid identity codes: 898 individual numbers per birth date, the birth dates spread
    over 1940–2019 (97 is coprime with 29 000, so day indexes map one to one)."""
    day = (n // 898) * 97 % 29_000
    return identifiers.personal_identity_code(dt.date(1940, 1, 1) + dt.timedelta(days=day), 2 + n % 898)


def _business_id(n: int, taken: set[str]) -> str:
    base = 7_000_000 + n * 13
    while (code := identifiers.business_id(base)) is None or code in taken:
        base += 1
    taken.add(code)
    return code


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _euros(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


MODELS = (
    User, Organiser, StaffMembership, FundingRule, PayerAccount, Provider, PaymentBatch, Client, HBCase,
    SupportPlan, PlanLine, PlanApproval, Decision, CaseTransition, BudgetAccount, SubAccount, Instalment, Agreement,
    Invoice, InvoiceLine, Payment, LedgerEntry,
)  # fmt: skip


# The tables that get millions of rows: their plain indexes are rebuilt after a bulk load.
BULK_TABLES = (LedgerEntry, InvoiceLine, Invoice, Payment, Agreement, SubAccount)


def _tables() -> dict[type, _Table]:
    return {
        User: _Table(User, ("id", "password", "username", "first_name", "last_name", "is_active", "date_joined")),
        Client: _Table(
            Client,
            ("id", "organiser_id", "first_name", "last_name", "personal_identity_code", "language", "target_group",
             "user_id", "created_at"),
        ),
        HBCase: _Table(
            HBCase,
            ("id", "organiser_id", "client_id", "worker_id", "status", "opened_at", "period_start", "period_end",
             "budget_total", "budget_lines_total", "budget_computed_at"),
        ),
        SupportPlan: _Table(
            SupportPlan,
            ("id", "organiser_id", "case_id", "version", "status", "what_matters", "goals", "created_at",
             "submitted_at", "submitted_by_id", "approval_rule"),
        ),
        PlanLine: _Table(PlanLine, ("id", "organiser_id", "plan_id", "description", "amount")),
        PlanApproval: _Table(PlanApproval, ("id", "organiser_id", "plan_id", "approver_id", "at", "rule")),
        Decision: _Table(
            Decision,
            ("id", "organiser_id", "case_id", "plan_id", "period_start", "period_end", "amount", "decided_by_id",
             "decided_at", "snapshot"),
        ),
        CaseTransition: _Table(
            CaseTransition, ("id", "organiser_id", "case_id", "action", "from_status", "to_status", "actor_id", "at")
        ),
        BudgetAccount: _Table(
            BudgetAccount,
            ("id", "organiser_id", "client_id", "decision_id", "opened_at", "period_start", "period_end", "status"),
        ),
        SubAccount: _Table(
            SubAccount,
            ("id", "organiser_id", "account_id", "plan_line_id", "description", "planned", "granted", "committed",
             "spent", "paid"),
        ),
        Instalment: _Table(Instalment, ("id", "organiser_id", "account_id", "number", "due_on", "released_at")),
        Agreement: _Table(
            Agreement,
            ("id", "organiser_id", "account_id", "sub_account_id", "provider_id", "number", "service", "unit",
             "unit_price", "quantity", "cap", "valid_from", "valid_until", "status", "used_amount", "used_quantity",
             "made_by_id", "made_at", "ended_by_id", "ended_at"),
        ),
        Invoice: _Table(
            Invoice,
            ("id", "organiser_id", "account_id", "provider_id", "source", "invoice_number", "invoice_date",
             "due_date", "payee_name", "payee_iban", "total", "status", "recorded_by_id", "recorded_at",
             "accepted_by_id", "accepted_at", "approved_by_id", "approved_at"),
        ),
        InvoiceLine: _Table(
            InvoiceLine,
            ("id", "organiser_id", "invoice_id", "sub_account_id", "agreement_id", "line_number", "service_date",
             "description", "quantity", "unit_price", "amount"),
        ),
        Payment: _Table(
            Payment, ("id", "organiser_id", "batch_id", "invoice_id", "end_to_end_id", "amount", "status", "booked_on")
        ),
        LedgerEntry: _Table(
            LedgerEntry,
            ("id", "organiser_id", "account_id", "sub_account_id", "kind", "amount", "invoice_id", "agreement_id",
             "payment_id", "memo", "at", "by_id"),
        ),
    }  # fmt: skip


@dataclass(frozen=True)
class _OrganiserData:
    pk: int
    worker_id: int
    providers: tuple[tuple[int, str, str], ...]  # (pk, name, iban)
    batches: tuple[int, ...]  # payment batch per month of 2025, and one for January 2026


def generate(
    *,
    clients: int,
    entries: int,
    organisers: int = 1,
    providers: int | None = None,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Make ``clients`` clients spread evenly over ``organisers`` new organisers, each with one active budget and
    together exactly ``entries`` ledger entries (at least one grant per plan line: fewer than two entries per client
    gives one plan line each). ``providers`` in all (default ten per organiser)."""
    if clients < 1 or organisers < 1 or entries < 0:
        raise ValueError("give at least one client and one organiser")
    organisers = min(organisers, clients)
    providers = max(providers if providers is not None else 10 * organisers, organisers)
    started = time.monotonic()
    summary = Summary(seed=seed)
    counts = dict.fromkeys((m.__name__ for m in MODELS), 0)
    bulk = connection.vendor == "postgresql" and entries >= BULK_ENTRIES and _is_superuser()
    summary.bulk = bulk
    # In bulk mode the whole load is one transaction, so that a failure leaves the database as it was, indexes too.
    with transaction.atomic() if bulk else contextlib.nullcontext():
        ids = _Ids(MODELS)
        summary.first_ids = {m.__name__: pk for m, pk in ids.first.items()}
        dropped = _bulk_start() if bulk else []
        with transaction.atomic():
            org_data = _make_organisers(random.Random(f"{seed}/organisers"), ids, counts, seed, organisers, providers)
        batch_totals: dict[int, int] = {}
        for chunk_start in range(0, clients, CHUNK_CLIENTS):
            chunk = range(chunk_start, min(chunk_start + CHUNK_CLIENTS, clients))
            tables = _tables()
            with transaction.atomic():
                if connection.vendor == "postgresql" and not bulk:
                    # Only the durability of the last commits on a crash is at stake, never consistency.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit = off")
                for i in chunk:
                    share = entries // clients + (1 if i < entries % clients else 0)
                    rng = random.Random(f"{seed}/{i}")
                    _make_client(rng, i, share, org_data[i % organisers], ids, tables, batch_totals)
                for model, table in tables.items():
                    counts[model.__name__] += table.write()
            if progress:
                progress(
                    f"{chunk.stop:,} of {clients:,} clients, {counts['LedgerEntry']:,} entries, "
                    f"{time.monotonic() - started:.0f} s"
                )
        if dropped:
            if progress:
                progress(f"rebuilding {len(dropped)} indexes, {time.monotonic() - started:.0f} s")
            with connection.cursor() as cursor:
                for definition in dropped:
                    cursor.execute(definition)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {PaymentBatch._meta.db_table} SET total = %s WHERE id = %s",
                [(total, pk) for pk, total in sorted(batch_totals.items())],
            )
            for sql in connection.ops.sequence_reset_sql(no_style(), list(MODELS)):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics, so that the first queries after a big load get the plans they will get later.
            for model in MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    summary.counts = counts
    summary.seconds = time.monotonic() - started
    return summary


def _is_superuser() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _bulk_start() -> list[str]:
    """PostgreSQL bulk mode, for the rest of the current transaction: no foreign-key triggers, and the big tables'
    plain (non-unique) indexes dropped, to be rebuilt by the returned statements once the rows are in.

    Checking ten million rows' foreign keys one by one, and growing seven indexes row by row, takes most of the time
    of a large load. The references are right by construction (every key is allocated here before it is used), the
    small runs of the tests keep the checks on and prove it, and check and unique constraints stay on throughout."""
    tables = [m._meta.db_table for m in BULK_TABLES]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            "SELECT c.relname, i.indexdef FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_indexes i ON i.indexname = c.relname AND i.tablename = t.relname "
            "WHERE t.relname = ANY(%s) AND i.schemaname = current_schema() AND NOT x.indisunique AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY c.relname",
            [tables],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _name, definition in indexes]


def _make_organisers(rng, ids: _Ids, counts, seed: int, organisers: int, providers: int) -> list[_OrganiserData]:
    tables = {
        m: _Table(m, attnames)
        for m, attnames in {
            User: ("id", "password", "username", "first_name", "last_name", "is_active", "date_joined"),
            Organiser: ("id", "code", "name", "business_id"),
            StaffMembership: ("id", "user_id", "organiser_id", "role", "active"),
            FundingRule: ("id", "organiser_id", "instalments"),
            PayerAccount: ("id", "organiser_id", "name", "iban", "bic"),
            Provider: ("id", "organiser_id", "name", "business_id", "kind", "iban", "status", "registered_at",
                       "decided_at"),
            PaymentBatch: ("id", "organiser_id", "message_id", "status", "execution_date", "total", "created_by_id",
                           "created_at", "exported_by_id", "exported_at", "pain001"),
        }.items()
    }  # fmt: skip
    taken = set(Organiser.objects.values_list("business_id", flat=True))
    result = []
    for k in range(organisers):
        org = ids.take(Organiser)
        tables[Organiser].add(org, f"syn{seed}-{org}", f"Synteettinen järjestäjä {k + 1}", _business_id(org, taken))
        worker = ids.take(User)
        tables[User].add(
            worker, UNUSABLE_PASSWORD, f"syn-tyontekija-{worker}", rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES),
            True, BASE_TIME,
        )
        tables[StaffMembership].add(ids.take(StaffMembership), worker, org, Role.SOCIAL_WORKER, True)
        tables[FundingRule].add(ids.take(FundingRule), org, 1)
        tables[PayerAccount].add(
            ids.take(PayerAccount), org, f"Synteettinen järjestäjä {k + 1}",
            identifiers.finnish_iban(f"5{org % 10**12:012d}"), "NDEAFIHH",
        )
        own = []
        for p in range(k, providers, organisers):
            pk = ids.take(Provider)
            name = f"Palvelu {rng.choice(LAST_NAMES)} {p + 1}"
            iban = identifiers.finnish_iban(f"8{pk % 10**12:012d}")
            tables[Provider].add(
                pk, org, name, _business_id(pk, set()), rng.choice(PROVIDER_KINDS), iban, RegistrationStatus.APPROVED,
                BASE_TIME, BASE_TIME,
            )
            own.append((pk, name, iban))
        batches = []
        for month in range(13):
            pk = ids.take(PaymentBatch)
            day = dt.date(2025 + month // 12, month % 12 + 1, 25)
            at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
            tables[PaymentBatch].add(
                pk, org, f"SYN{pk}", BatchStatus.EXPORTED, day, 0, worker, at, worker, at, b"",
            )
            batches.append(pk)
        result.append(_OrganiserData(org, worker, tuple(own), tuple(batches)))
    for model, table in tables.items():
        counts[model.__name__] += table.write()
    return result


def _batch_of(org: _OrganiserData, day: dt.date) -> int:
    return org.batches[min((day.year - 2025) * 12 + day.month - 1, 12)]


def _make_client(rng: random.Random, i: int, share: int, org: _OrganiserData, ids: _Ids, t, batch_totals) -> None:
    """One client with an active case, an approved plan, a decision and a budget account whose ledger has exactly
    ``share`` entries (or one per plan line, if ``share`` is smaller)."""
    o, worker = org.pk, org.worker_id
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    user = ids.take(User)
    opened = BASE_TIME - dt.timedelta(days=rng.randint(30, 90))
    t[User].add(user, UNUSABLE_PASSWORD, f"syn-asiakas-{user}", first, last, True, opened)
    client = ids.take(Client)
    language = rng.choices((Language.FINNISH, Language.SWEDISH, Language.ENGLISH), (85, 10, 5))[0]
    t[Client].add(client, o, first, last, _hetu(i), language, rng.choice(TargetGroup.values), user, opened)

    purposes = rng.sample(PURPOSES, max(1, min(rng.randint(2, 4), share)))
    lines = []  # (plan line pk, description, hours, price per hour, amount in cents)
    for description, price in purposes:
        hours = rng.randint(100, 600)
        lines.append((ids.take(PlanLine), description, hours, price, hours * price))
    total = sum(line[4] for line in lines)

    case, plan, decision, account = ids.take(HBCase), ids.take(SupportPlan), ids.take(Decision), ids.take(BudgetAccount)
    submitted = opened + dt.timedelta(days=14)
    approved = submitted + dt.timedelta(days=7)
    decided = BASE_TIME
    t[HBCase].add(
        case, o, client, worker, CaseStatus.ACTIVE, opened, PERIOD_START, PERIOD_END, total, total, opened
    )
    t[SupportPlan].add(
        plan, o, case, 1, PlanStatus.APPROVED, "Arki sujuu omassa kodissa.", "Liikun ja tapaan ihmisiä viikoittain.",
        opened, submitted, user, ApprovalRule.WORKER,
    )
    for pk, description, _hours, _price, amount in lines:
        t[PlanLine].add(pk, o, plan, description, amount)
    t[PlanApproval].add(ids.take(PlanApproval), o, plan, worker, approved, ApprovalRule.WORKER)
    t[Decision].add(
        decision, o, case, plan, PERIOD_START, PERIOD_END, total, worker, decided, _json(_snapshot(lines, total))
    )
    t[CaseTransition].add(
        ids.take(CaseTransition), o, case, CaseAction.DECIDE, CaseStatus.APPROVED, CaseStatus.ACTIVE, worker, decided
    )
    t[BudgetAccount].add(account, o, client, decision, decided, PERIOD_START, PERIOD_END, AccountStatus.OPEN)
    t[Instalment].add(ids.take(Instalment), o, account, 1, PERIOD_START, decided)

    _Ledger(rng, org, account, user, ids, t, batch_totals).run(lines, share, decided)


def _snapshot(lines, total: int) -> dict:
    """A decision snapshot as ``planning.services`` writes it (version 2): one explained budget line per plan line,
    hours over the whole period at the line's price, no organiser rule."""
    days = (PERIOD_END - PERIOD_START).days + 1
    budget_lines = [
        {
            "service_code": f"SYN{n + 1}",
            "service_name": {"fi": description, "sv": description, "en": description},
            "unit": "h",
            "frequency": "period",
            "quantity": str(hours),
            "valid_from": PERIOD_START.isoformat(),
            "valid_to": PERIOD_END.isoformat(),
            "days": days,
            "period_days": days,
            "units": "1/1",
            "unit_price": _euros(price),
            "amount": _euros(amount),
        }
        for n, (_pk, description, hours, price, amount) in enumerate(lines)
    ]
    euros = _euros(total)
    return {
        "snapshot_version": SNAPSHOT_VERSION,
        "budget_period": [PERIOD_START.isoformat(), PERIOD_END.isoformat()],
        "budget_total": euros,
        "budget_lines": budget_lines,
        "budget_rules": {"rule": None, "lines_total": euros, "after_percentage": euros, "after_cap": euros, "total": euros},
        "needs": [
            {
                "service_code": line["service_code"],
                "service_name": line["service_name"],
                "unit": "h",
                "quantity": line["quantity"],
                "frequency": "period",
                "note": "",
                "legal_basis": "Sosiaalihuoltolaki 1301/2014",
            }
            for line in budget_lines
        ],
        "plan_version": 1,
        "plan_lines": [
            {"id": pk, "description": description, "amount": _euros(amount), "product_id": None}
            for pk, description, _hours, _price, amount in lines
        ],
    }


class _Ledger:
    """One account's life in memory: the same rules as the services, the totals kept as the entries are made."""

    def __init__(self, rng, org: _OrganiserData, account: int, client_user: int, ids: _Ids, t, batch_totals):
        self.rng, self.org, self.account, self.client_user = rng, org, account, client_user
        self.ids, self.t, self.batch_totals = ids, t, batch_totals
        # [pk, description, price per hour, granted, committed, spent, paid, plan line pk, planned]
        self.subs: list[list] = []
        self.agreements: list[list] = []  # see _agree
        self.unpaid: list[list] = []  # invoices waiting for payment, oldest first
        self.invoices: list[list] = []

    def entry(self, sub: list, kind: str, amount: int, at: dt.datetime, *, invoice=None, agreement=None, payment=None,
              memo: str = "") -> None:
        bucket = {"granted": 3, "committed": 4, "spent": 5, "paid": 6}[
            {"grant": "granted", "adjustment": "granted", "commitment": "committed", "release": "committed",
             "spending": "spent", "reversal": "spent", "payment": "paid"}[kind]
        ]
        sub[bucket] += amount
        self.t[LedgerEntry].add(
            self.ids.take(LedgerEntry), self.org.pk, self.account, sub[0], kind, amount, invoice, agreement, payment,
            memo, at, self.org.worker_id,
        )  # fmt: skip

    def run(self, lines, share: int, decided: dt.datetime) -> None:
        rng = self.rng
        for pk, description, _hours, price, amount in lines:
            sub = [self.ids.take(SubAccount), description, price, 0, 0, 0, 0, pk, amount]
            self.subs.append(sub)
            self.entry(sub, EntryKind.GRANT, amount, decided, memo="instalment 1/1")
        left_to_make = share - len(lines)
        # Spread the activity over the first eleven months, in increasing time.
        step = max(1, 330 * 24 * 60 // max(left_to_make, 1))
        now = decided + dt.timedelta(days=4)
        while left_to_make > 0:
            now = min(now + dt.timedelta(minutes=rng.randint(1, 2 * step)), LAST_TIME)
            left_to_make -= self.act(now, left_to_make)
        self.write_agreements_and_invoices()

    def act(self, now: dt.datetime, budget: int) -> int:
        """Make one movement that adds at most ``budget`` entries; return how many it added."""
        rng = self.rng
        if self.unpaid and (budget == 1 or rng.random() < 0.4):
            return self.pay(now)
        open_agreements = [a for a in self.agreements if a[5] == AgreementStatus.ACTIVE and a[3] > a[4]]
        if budget >= 2 and open_agreements and rng.random() < 0.9:
            return self.invoice(rng.choice(open_agreements), now)
        if rng.random() < 0.05 and open_agreements:
            return self.end(rng.choice(open_agreements), now)
        roomy = [s for s in self.subs if (s[3] - s[4] - s[5]) // s[2] >= 4]
        if roomy:
            return self.agree(rng.choice(roomy), now)
        if open_agreements:
            return self.end(rng.choice(open_agreements), now)
        # Every line is used up: the worker grants more (an adjustment), as a change of the decision would.
        sub = rng.choice(self.subs)
        self.entry(sub, EntryKind.ADJUSTMENT, sub[2] * rng.randint(20, 80), now, memo="additional grant")
        return 1

    def agree(self, sub: list, now: dt.datetime) -> int:
        rng = self.rng
        hours = min(rng.randint(20, 120), (sub[3] - sub[4] - sub[5]) // sub[2])
        pk = self.ids.take(Agreement)
        provider = rng.choice(self.org.providers)
        # [pk, sub, provider, quantity, used quantity, status, made at, ended at, valid from]
        agreement = [pk, sub, provider, hours, 0, AgreementStatus.ACTIVE, now, None, now.date()]
        self.agreements.append(agreement)
        self.entry(sub, EntryKind.COMMITMENT, hours * sub[2], now, agreement=pk)
        return 1

    def end(self, agreement: list, now: dt.datetime) -> int:
        sub = agreement[1]
        self.entry(sub, EntryKind.RELEASE, -(agreement[3] - agreement[4]) * sub[2], now, agreement=agreement[0])
        agreement[5], agreement[7] = AgreementStatus.ENDED, now
        return 1

    def invoice(self, agreement: list, now: dt.datetime) -> int:
        rng, t = self.rng, self.t
        sub, price = agreement[1], agreement[1][2]
        pk = self.ids.take(Invoice)
        hours_in_all = 0
        for number in range(1, rng.randint(1, 3) + 1):
            room = agreement[3] - agreement[4] - hours_in_all
            if room <= 0:
                break
            hours = rng.randint(1, min(8, room))
            hours_in_all += hours
            served = max(agreement[8], now.date() - dt.timedelta(days=rng.randint(0, 14)))
            t[InvoiceLine].add(
                self.ids.take(InvoiceLine), self.org.pk, pk, sub[0], agreement[0], number, served, sub[1],
                Decimal(hours), price, hours * price,
            )  # fmt: skip
        agreement[4] += hours_in_all
        amount = hours_in_all * price
        self.entry(sub, EntryKind.RELEASE, -amount, now, invoice=pk, agreement=agreement[0])
        self.entry(sub, EntryKind.SPENDING, amount, now, invoice=pk, agreement=agreement[0])
        # [pk, agreement, amount, recorded at, status]
        invoice = [pk, agreement, amount, now, None]
        self.invoices.append(invoice)
        if rng.random() < 0.75:
            self.unpaid.append(invoice)
        else:
            invoice[4] = rng.choice(
                (InvoiceStatus.AWAITING_ACCEPTANCE, InvoiceStatus.AWAITING_APPROVAL, InvoiceStatus.APPROVED)
            )
        return 2

    def pay(self, now: dt.datetime) -> int:
        invoice = self.unpaid.pop(0)
        sub, amount = invoice[1][1], invoice[2]
        booked = max(now, invoice[3] + dt.timedelta(days=3))
        batch = _batch_of(self.org, booked.date())
        pk = self.ids.take(Payment)
        self.t[Payment].add(pk, self.org.pk, batch, invoice[0], f"SYN{pk}", amount, PaymentStatus.PAID, booked.date())
        self.batch_totals[batch] = self.batch_totals.get(batch, 0) + amount
        self.entry(sub, EntryKind.PAYMENT, amount, booked, invoice=invoice[0], payment=pk)
        invoice[4] = InvoiceStatus.PAID
        return 1

    def write_agreements_and_invoices(self) -> None:
        t, org, worker = self.t, self.org, self.org.worker_id
        for invoice in self.unpaid:  # never paid: they wait for the client or the worker
            invoice[4] = InvoiceStatus.AWAITING_APPROVAL
        for pk, agreement, amount, at, status in self.invoices:
            _provider, name, iban = agreement[2]
            accepted = status != InvoiceStatus.AWAITING_ACCEPTANCE
            approved = status in (InvoiceStatus.APPROVED, InvoiceStatus.PAID)
            t[Invoice].add(
                pk, org.pk, self.account, agreement[2][0], InvoiceSource.CSV, f"SYN-{pk}", at.date(),
                at.date() + dt.timedelta(days=14), name, iban, amount, status, worker, at,
                self.client_user if accepted else None, at + dt.timedelta(hours=2) if accepted else None,
                worker if approved else None, at + dt.timedelta(hours=5) if approved else None,
            )  # fmt: skip
        for pk, sub, provider, quantity, used, status, made, ended, valid_from in self.agreements:
            price = sub[2]
            t[Agreement].add(
                pk, org.pk, self.account, sub[0], provider[0], _agreement_number(pk), sub[1], "h", price,
                Decimal(quantity), quantity * price, valid_from, PERIOD_END, status, used * price, Decimal(used),
                worker, made, worker if ended else None, ended,
            )  # fmt: skip
        for pk, description, _price, granted, committed, spent, paid, plan_line, planned in self.subs:
            t[SubAccount].add(pk, org.pk, self.account, plan_line, description, planned, granted, committed, spent, paid)
