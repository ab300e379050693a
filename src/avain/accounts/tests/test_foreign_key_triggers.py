"""The foreign keys of invoices, invoice lines and ledger entries, checked once per statement by triggers
(avain.core.foreign_key_triggers, installed by migration 0003) instead of row by row by constraints.

Every test is parametrised by the models' ForeignKey fields as Django declares them, so a foreign key added later is
tested without a change here, and fails until a migration installs its checks.
"""

import itertools
from types import SimpleNamespace

import psycopg
import pytest
from django.db import IntegrityError, connection, models, transaction

from avain.accounts import bulk
from avain.accounts.models import (
    EntryKind,
    ImportFile,
    ImportKind,
    Invoice,
    InvoiceLine,
    InvoiceSource,
    LedgerEntry,
    Payment,
    PaymentBatch,
)
from avain.accounts.posting import post_provider_invoices
from avain.core import clock, foreign_key_triggers
from avain.core.models import User
from avain.testing import account_of, case_active, db_snapshot, invoice_claim, make_agreement, make_user

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the statement-level foreign-key triggers exist on PostgreSQL only; SQLite has no foreign-key checks "
        "for these tables",
    ),
]

CHECKED_MODELS = (Invoice, InvoiceLine, LedgerEntry)
FOREIGN_KEYS = [
    (model, field)
    for model in CHECKED_MODELS
    for field in model._meta.concrete_fields
    if isinstance(field, models.ForeignKey)
]
NULLABLE_FOREIGN_KEYS = [(model, field) for model, field in FOREIGN_KEYS if field.null]
# A key that no table of the test database reaches.
MISSING = 2_000_000_000

# What else must change for a copied row to stay within the check constraints when this column is NULL.
VALID_WHEN_NULL = {
    (Invoice, "provider"): {"source": InvoiceSource.RECEIPT},  # only a client's receipt has no provider
    (LedgerEntry, "invoice"): {"kind": EntryKind.ADJUSTMENT},  # spending always names its invoice
}

_numbers = itertools.count(1)


def _ids(params):
    return [f"{model.__name__}.{field.name}" for model, field in params]


@pytest.fixture
def rows():
    """A posted invoice (from an import file, with a payment) with its line and its spending entry: one valid row
    of each checked table, to copy and change."""
    account = account_of(case_active())
    agreement = make_agreement(account)
    provider, user = agreement.provider, agreement.made_by
    now = clock.now()
    import_file = ImportFile.objects.create(
        organiser=account.organiser, provider=provider, kind=ImportKind.CSV, filename="invoices.csv", sha256="0" * 64,
        size=0, content=b"", received_by=user, received_at=now,
    )  # fmt: skip
    result = post_provider_invoices(
        provider=provider,
        claims=[invoice_claim(agreement, (clock.today(), "1"))],
        source=InvoiceSource.CSV,
        recorded_by=user,
        import_file=import_file,
    )
    assert result.problems == []
    invoice = Invoice.objects.get(pk=result.invoices[0].pk)
    batch = PaymentBatch.objects.create(
        organiser=account.organiser, message_id="FK-TEST-1", execution_date=clock.today(), created_by=user,
        created_at=now,
    )  # fmt: skip
    Payment.objects.create(
        organiser=account.organiser, batch=batch, invoice=invoice, end_to_end_id="FK-TEST-1-1", amount=invoice.total
    )
    return {
        Invoice: invoice,
        InvoiceLine: invoice.lines.get(),
        LedgerEntry: LedgerEntry.objects.get(invoice=invoice, kind=EntryKind.SPENDING),
    }


def copied(row, **changes) -> dict:
    """The row's values by attname, without its primary key, with its unique values made new and ``changes``."""
    model = type(row)
    attnames = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
    values = model.objects.filter(pk=row.pk).values(*attnames).get()
    if model is Invoice:
        values["invoice_number"] = f"FK-{next(_numbers)}"
    if model is InvoiceLine:
        values["line_number"] = 1000 + next(_numbers)
    values.update(changes)
    return values


def assert_foreign_key_violation(error, model, field, key) -> None:
    """The database refused with foreign_key_violation (23503), naming the table, the column and the key. Django
    raises it as its IntegrityError; a COPY, which goes to psycopg's cursor directly, as psycopg's."""
    cause = error.value if isinstance(error.value, psycopg.Error) else error.value.__cause__
    assert isinstance(cause, psycopg.errors.ForeignKeyViolation), repr(cause)
    assert (cause.diag.table_name, cause.diag.column_name) == (model._meta.db_table, field.column)
    assert f"=({key})" in cause.diag.message_detail


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def referenced_key(row, field) -> int:
    """A key of the field's referenced table that the row refers to through this field and that no other column of
    the row's table refers to: a new user for the columns that point at users (several do), else the row's own key or,
    where the row has none, the first row of the referenced table."""
    model = type(row)
    if field.related_model is User:
        key = make_user().pk
    else:
        key = getattr(row, field.attname) or field.related_model.objects.order_by("pk").values_list("pk", flat=True)[0]
    model.objects.filter(pk=row.pk).update(**{field.attname: key})
    return key


def only_checks_of(model, table: str) -> None:
    """Leave on ``table`` only the model's own parent-side triggers, so that the refusal comes from the model's check
    and no other table's. Undone when the test's transaction rolls back."""
    # ALTER TABLE refuses while deferred foreign-key checks of earlier statements wait; run them first.
    execute("SET CONSTRAINTS ALL IMMEDIATE")
    for other in CHECKED_MODELS:
        if other is not model:
            for trigger_table, trigger, _function in foreign_key_triggers.triggers(other):
                if trigger_table == table:
                    execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(trigger)}")
    # Back to deferred, so that the other tables' row-level foreign keys wait for a commit that never comes.
    execute("SET CONSTRAINTS ALL DEFERRED")


# --- The triggers exist ----------------------------------------------------------------------------------------


def assert_checked_by_triggers_only(model) -> None:
    """Every trigger of the model's checks exists, runs once per statement and is enabled; both functions check
    every foreign key column; no row-level foreign key constraint is left on the table."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgrelid::regclass::text, t.tgname, p.proname, t.tgtype, t.tgenabled, p.prosrc "
            "FROM pg_trigger AS t JOIN pg_proc AS p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal AND p.proname = ANY(%s)",
            [[f"{table}_fk_child", f"{table}_fk_parent"]],
        )
        found = cursor.fetchall()
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = %s::regclass", [table])
        constraints = cursor.fetchall()
    assert {(t, name, function) for t, name, function, *_ in found} == foreign_key_triggers.triggers(model)
    row_level = 1  # TRIGGER_TYPE_ROW in pg_trigger.tgtype
    assert all(tgtype & row_level == 0 and enabled == "O" for *_, tgtype, enabled, _source in found)
    sources = {function: source for _, _, function, _, _, source in found}
    assert len(sources) == 2
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey):
            assert field.db_constraint is False, f"{model.__name__}.{field.name} would be checked twice"
            assert all(f'"{field.column}"' in source for source in sources.values()), field.column
    assert constraints == []


@pytest.mark.parametrize("model", CHECKED_MODELS, ids=lambda model: model.__name__)
def test_every_foreign_key_has_its_statement_level_triggers_and_no_row_level_constraint(model):
    assert_checked_by_triggers_only(model)


# --- Inserts and updates of the checked tables -----------------------------------------------------------------


@pytest.mark.parametrize(("model", "field"), FOREIGN_KEYS, ids=_ids(FOREIGN_KEYS))
def test_inserting_a_row_that_points_at_a_missing_parent_is_refused_and_changes_nothing(rows, model, field):
    before = db_snapshot()
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        model.objects.create(**copied(rows[model], **{field.attname: MISSING}))
    assert_foreign_key_violation(error, model, field, MISSING)
    assert db_snapshot() == before


@pytest.mark.parametrize(("model", "field"), FOREIGN_KEYS, ids=_ids(FOREIGN_KEYS))
def test_updating_a_foreign_key_to_a_missing_parent_is_refused(rows, model, field):
    row = rows[model]
    before = db_snapshot()
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        model.objects.filter(pk=row.pk).update(**{field.attname: MISSING})
    assert_foreign_key_violation(error, model, field, MISSING)
    assert db_snapshot() == before


@pytest.mark.parametrize(("model", "field"), NULLABLE_FOREIGN_KEYS, ids=_ids(NULLABLE_FOREIGN_KEYS))
def test_null_in_a_nullable_foreign_key_passes(rows, model, field):
    changes = {field.attname: None, **VALID_WHEN_NULL.get((model, field.name), {})}
    inserted = model.objects.create(**copied(rows[model], **changes))
    model.objects.filter(pk=rows[model].pk).update(**changes)
    assert model.objects.filter(pk__in=[inserted.pk, rows[model].pk], **{field.attname: None}).count() == 2


def test_updates_that_keep_or_change_keys_to_existing_parents_pass(rows):
    invoice = rows[Invoice]
    other_user = make_user()
    Invoice.objects.filter(pk=invoice.pk).update(status="approved", approved_by=other_user)
    LedgerEntry.objects.filter(pk=rows[LedgerEntry].pk).update(by=other_user, memo="moved")
    InvoiceLine.objects.filter(pk=rows[InvoiceLine].pk).update(agreement=None)
    assert Invoice.objects.get(pk=invoice.pk).approved_by == other_user


def test_many_rows_in_one_statement_pass_and_one_bad_row_among_them_is_named(rows):
    line = rows[InvoiceLine]
    values = copied(line)
    fields = list(values)

    def lines(first_number: int, **changes) -> list[tuple]:
        return [tuple({**values, "line_number": first_number + n, **changes}.values()) for n in range(500)]

    bulk.insert(InvoiceLine, fields, lines(10_000))  # one COPY on PostgreSQL
    assert InvoiceLine.objects.filter(invoice=line.invoice).count() == 501

    before = db_snapshot()
    with pytest.raises((IntegrityError, psycopg.IntegrityError)) as error, transaction.atomic():
        bulk.insert(InvoiceLine, fields, lines(20_000) + lines(30_000, agreement_id=MISSING)[:1])
    assert_foreign_key_violation(error, InvoiceLine, InvoiceLine._meta.get_field("agreement"), MISSING)
    assert db_snapshot() == before


def test_a_parent_must_exist_when_the_statement_ends_not_only_at_commit(rows):
    """The checks run at the end of each statement, not at commit: a parent must be written first."""
    line = rows[InvoiceLine]
    next_invoice = MISSING + 1
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        InvoiceLine.objects.create(**copied(line, invoice_id=next_invoice))
        Invoice.objects.create(id=next_invoice, **copied(rows[Invoice]))
    assert_foreign_key_violation(error, InvoiceLine, InvoiceLine._meta.get_field("invoice"), next_invoice)

    # A writable CTE is one statement: the invoice and its line arrive together.
    invoice_values = copied(rows[Invoice], id=next_invoice)
    line_values = copied(line, invoice_id=next_invoice)
    execute(
        f"WITH invoice AS (INSERT INTO {quote(Invoice._meta.db_table)} ({', '.join(map(quote, invoice_values))}) "
        f"VALUES ({', '.join(['%s'] * len(invoice_values))})) "
        f"INSERT INTO {quote(InvoiceLine._meta.db_table)} ({', '.join(map(quote, line_values))}) "
        f"VALUES ({', '.join(['%s'] * len(line_values))})",
        [*_db_values(Invoice, invoice_values), *_db_values(InvoiceLine, line_values)],
    )
    assert InvoiceLine.objects.filter(invoice_id=next_invoice).exists()


def _db_values(model, values: dict) -> list:
    fields = {f.attname: f for f in model._meta.concrete_fields}
    return [fields[name].get_db_prep_save(value, connection) for name, value in values.items()]


# --- Deletes and key updates of the referenced tables ----------------------------------------------------------


@pytest.mark.parametrize(("model", "field"), FOREIGN_KEYS, ids=_ids(FOREIGN_KEYS))
def test_deleting_a_referenced_parent_with_plain_sql_is_refused(rows, model, field):
    key = referenced_key(rows[model], field)
    parent = field.related_model._meta.db_table
    only_checks_of(model, parent)
    before = db_snapshot()
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        execute(f"DELETE FROM {quote(parent)} WHERE {quote(field.target_field.column)} = %s", [key])
    assert_foreign_key_violation(error, model, field, key)
    assert db_snapshot() == before


@pytest.mark.parametrize(("model", "field"), FOREIGN_KEYS, ids=_ids(FOREIGN_KEYS))
def test_changing_a_referenced_key_with_plain_sql_is_refused(rows, model, field):
    key = referenced_key(rows[model], field)
    parent = field.related_model._meta.db_table
    column = quote(field.target_field.column)
    only_checks_of(model, parent)
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        execute(f"UPDATE {quote(parent)} SET {column} = %s WHERE {column} = %s", [MISSING, key])
    assert_foreign_key_violation(error, model, field, key)


def test_deleting_parents_that_nothing_refers_to_passes(rows):
    user = make_user()
    batch = PaymentBatch.objects.create(
        organiser=rows[Invoice].organiser, message_id="FK-TEST-2", execution_date=clock.today(), created_by=user,
        created_at=clock.now(),
    )  # fmt: skip
    execute(f"DELETE FROM {quote(PaymentBatch._meta.db_table)} WHERE id = %s", [batch.pk])
    execute(f"DELETE FROM {quote(User._meta.db_table)} WHERE id = %s", [user.pk])
    assert not User.objects.filter(pk=user.pk).exists()


def test_django_still_protects_the_parents(rows):
    with pytest.raises(models.ProtectedError), transaction.atomic():
        rows[Invoice].delete()


# --- The SQL ---------------------------------------------------------------------------------------------------


def test_the_checks_are_dropped_and_created_again():
    with transaction.atomic():
        for model in CHECKED_MODELS:
            for statement in foreign_key_triggers.drop_sql(model):
                execute(statement, None)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'accounts\\_%%\\_fk\\_%%'")
            assert cursor.fetchone() == (0,)
        for model in CHECKED_MODELS:
            for statement in foreign_key_triggers.create_sql(model):
                execute(statement, None)
    for model in CHECKED_MODELS:
        assert_checked_by_triggers_only(model)


def test_names_too_long_for_postgresql_are_refused():
    model = SimpleNamespace(_meta=SimpleNamespace(db_table="x" * 60))
    with pytest.raises(ValueError, match="longer than PostgreSQL keeps"):
        foreign_key_triggers.names(model)
