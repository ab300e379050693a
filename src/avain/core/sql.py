"""Reads in plain SQL, for the few reads on the pages opened most often (the client's budget account page and what
every portal page does). Building a query with the ORM costs a millisecond or more of Python here, several times what
PostgreSQL takes to answer these queries by index (bench/README.md); every other read uses the ORM.

The SQL runs on PostgreSQL and on SQLite alike: ``%s`` placeholders, double-quoted names only where needed, nothing
a single database has. Queries run through Django's connection, so the test suite's query counts see them.

On PostgreSQL these reads bind their parameters on the server, so that the connection prepares each statement after
a few uses and PostgreSQL plans it once per connection instead of on every request (planning these short queries
took longer than running them). The ORM's queries bind on the client and are never prepared. Preparing is set by
``prepare_threshold`` in the database's OPTIONS (settings.py, AVAIN_DB_PREPARE_THRESHOLD); where it is None, as
behind a connection pooler in transaction mode that cannot keep prepared statements, these reads bind on the client
like every other query (docs/plain-sql-reads.md).
"""

from decimal import Decimal

from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import DEFERRED
from psycopg import Cursor

from .money import MONEY_DECIMAL_PLACES


def fetch_all(sql: str, params: list | tuple) -> list[tuple]:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_one(sql: str, params: list | tuple) -> tuple | None:
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _cursor():
    """Django's cursor, or on PostgreSQL with preparing on, Django's wrapper (query log, execute wrappers) around a
    psycopg cursor that binds on the server, the kind of cursor psycopg prepares statements for."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    if connection.connection.prepare_threshold is None:
        return connection.cursor()
    connection.validate_thread_sharing()
    server_binding = Cursor(connection.connection)
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    return wrapper(server_binding, connection)


class _LoggedCursor(CursorDebugWrapper):
    """Django's query log takes the SQL from what the driver says it sent, which a prepared statement's execution
    leaves empty: log the statement with its parameters as a client-side cursor would have sent it."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


# The largest id a BigAutoField can hold: an id from a URL beyond it finds nothing, as with the ORM, without asking.
LARGEST_ID = 2**63 - 1


def instance_from_row(model, columns: tuple[str, ...], values) -> object:
    """An instance as the ORM would load it with ``only(*columns)``: the other fields are deferred and loaded if ever
    asked for (Model.from_db). ``columns`` are the fields' attnames (``organiser_id``); each value must already be the
    field's Python value, so leave out datetimes, which SQLite returns without their time zone in plain SQL."""
    loaded = dict(zip(columns, values))
    return model.from_db(
        connection.alias, list(loaded), [loaded.get(field.attname, DEFERRED) for field in model._meta.concrete_fields]
    )


def money(cents: int | Decimal | None) -> Decimal | None:
    """A money column (whole cents, see MoneyField) or a sum of one, as euros; the same as the field gives."""
    return None if cents is None else Decimal(cents).scaleb(-MONEY_DECIMAL_PLACES)
