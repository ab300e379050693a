"""Writing and matching many rows at once, in a fixed number of queries however many rows there are.

Bulk imports post hundreds of thousands of invoice lines in one transaction; building a model instance and a query
parameter per value would cost more than the database's own work. So here rows are plain tuples of the model's
values (money as ``Decimal`` euros, exactly as the model holds it), and:

* :func:`insert` takes the new rows' ids first (the rows that point at them need them) and then writes every row in
  one go: ``COPY`` on PostgreSQL, one ``executemany`` elsewhere.
* :func:`update` sets or adds column values by id from arrays (``UPDATE … FROM unnest(…)``) on PostgreSQL.
* :func:`any_of` filters a field by a list of values with one array parameter on PostgreSQL instead of one
  parameter per value, which client-side binding and the server's parser both handle slowly by the thousand.

SQLite (the demo and quick tests) gets plain, obviously correct SQL; its speed is not measured.
"""

from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from decimal import Decimal

from django.db import connection
from django.db.models import F, Lookup, Model, Q

from avain.core.fields import MoneyField


def insert(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence]) -> list[int]:
    """Insert ``rows`` (values of the model's ``fields``, by attname, in that order) and return their new ids in
    row order. Fields not named get their model default, as ``bulk_create`` would give them. The caller holds the
    transaction."""
    if not rows:
        return []
    opts = model._meta
    named = [opts.get_field(name) for name in fields]
    defaulted = [f for f in opts.concrete_fields if f is not opts.pk and f.attname not in fields]
    defaults = tuple(f.get_default() for f in defaulted)
    columns = [opts.pk.column] + [f.column for f in named + defaulted]
    with connection.cursor() as cursor:
        ids = _new_ids(cursor, model, len(rows))
        if connection.vendor == "postgresql":
            _copy(cursor, opts.db_table, columns, named, ids, rows, defaults)
        else:
            prepare = [f.get_db_prep_save for f in named + defaulted]
            cursor.executemany(
                f"INSERT INTO {_quote(opts.db_table)} ({', '.join(map(_quote, columns))}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                [
                    (pk, *(to_db(value, connection) for to_db, value in zip(prepare, (*row, *defaults), strict=True)))
                    for pk, row in zip(ids, rows, strict=True)
                ],
            )
    return ids


def _new_ids(cursor, model: type[Model], count: int) -> list[int]:
    table, pk = model._meta.db_table, model._meta.pk.column
    if connection.vendor == "postgresql":
        # Drawn from the sequence like any other insert's, so concurrent writers never collide.
        cursor.execute(
            "SELECT nextval(seq::regclass) FROM pg_get_serial_sequence(%s, %s) AS seq, generate_series(1, %s) "
            "ORDER BY 1",
            [table, pk, count],
        )
        return [row[0] for row in cursor.fetchall()]
    # SQLite: the writer holds the database's write lock for the whole transaction (transaction_mode IMMEDIATE), so
    # the ids after the largest ever used are free; an AUTOINCREMENT table remembers it in sqlite_sequence.
    cursor.execute(
        f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
        f"coalesce((SELECT max({_quote(pk)}) FROM {_quote(table)}), 0))",
        [table],
    )
    first = cursor.fetchone()[0] + 1
    return list(range(first, first + count))


def _copy(cursor, table: str, columns: list[str], named: list, ids: list[int], rows, defaults: tuple) -> None:
    # Money is the only value psycopg cannot take as the model holds it: the column has whole cents.
    money = [position + 1 for position, field in enumerate(named) if isinstance(field, MoneyField)]
    sql = f"COPY {_quote(table)} ({', '.join(map(_quote, columns))}) FROM STDIN"
    # Django's query log (and so CaptureQueriesContext) sees the COPY like any other query.
    logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
    with logged, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for pk, row in zip(ids, rows, strict=True):
            values = [pk, *row, *defaults]
            for position in money:
                values[position] = cents(values[position])
            write(values)


def update(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence], *, add: bool = False) -> None:
    """For each row ``(id, value, …)``, one per id, set the model's ``fields`` to the values, or with ``add`` add
    the values to them, in one statement. The caller has locked the rows."""
    rows = list(rows)
    if not rows:
        return
    opts = model._meta
    targets = [opts.get_field(name) for name in fields]
    table = _quote(opts.db_table)
    columns = [_quote(f.column) for f in targets]
    pk = _quote(opts.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = [_array([row[0] for row in rows])] + [
                _array([cents(row[i]) if isinstance(f, MoneyField) else row[i] for row in rows])
                for i, f in enumerate(targets, start=1)
            ]
            unnest = ", ".join(f"%s::{f.db_type(connection)}[]" for f in [opts.pk, *targets])
            assignments = ", ".join(f"{c} = " + (f"t.{c} + " if add else "") + f"d.{c}" for c in columns)
            cursor.execute(
                f"UPDATE {table} AS t SET {assignments} FROM unnest({unnest}) AS d({pk}, {', '.join(columns)}) "
                f"WHERE t.{pk} = d.{pk}",
                arrays,
            )
        else:
            assignments = ", ".join(f"{c} = " + (f"{c} + " if add else "") + "%s" for c in columns)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",
                [
                    (*(f.get_db_prep_save(row[i], connection) for i, f in enumerate(targets, start=1)), row[0])
                    for row in rows
                ],
            )


def any_of(field: str, values: Iterable):
    """A filter for ``field`` being one of many ``values``: ``field = ANY(array)`` with one parameter on PostgreSQL,
    ``field IN (…)`` elsewhere. Use it as ``Model.objects.filter(any_of("number", numbers), …)``."""
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": list(values)})
    return _EqualsAny(F(field), _array(values))


class _EqualsAny(Lookup):
    # Not registered as a lookup: built by any_of only, with the array already in PostgreSQL's text form.
    lookup_name = "equals_any"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::{self.lhs.output_field.db_type(connection)}[])", [*params, self.rhs]


def cents(amount: Decimal | None) -> int | None:
    """Whole cents of a money amount, refusing an amount finer than a cent exactly as ``MoneyField`` does."""
    if amount is None:
        return None
    scaled = amount.scaleb(2)
    whole = int(scaled)
    if whole != scaled:
        raise ValueError(f"{amount} is finer than a cent: round it with round_money first")
    return whole


def _array(values: Iterable) -> str:
    """PostgreSQL's text form of an array: every element quoted, backslashes and quotes escaped. One string is
    bound far faster than a list of thousands of values."""
    return "{" + ",".join('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)
