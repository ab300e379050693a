"""Foreign keys checked once per statement, for tables that take rows by the hundred thousand.

PostgreSQL checks an ordinary foreign key row by row: one trigger call and one lookup in the referenced table per
inserted row and key, about 5–10 µs each. A bulk import that writes 200 000 invoice lines and their invoices and
ledger entries makes over a million such checks, more than the rest of the import costs. So a model whose foreign
keys are declared with ``db_constraint=False`` gets these checks instead, as plain PostgreSQL triggers that run once
per statement and look at all the statement's rows at once, through its transition tables (``new_rows``,
``old_rows``), with one anti-join per column that the planner can run as a hash join:

* on the model's table, after INSERT and after UPDATE: every non-NULL key in the new rows must exist in the
  referenced table. An UPDATE only checks the keys that were not already in the rows before it, so the common update
  (a status, a total) costs a hash of the keys and no lookup;
* on each referenced table, after DELETE: no deleted key may still be referenced; after an UPDATE of the referenced
  key column (which Django never does), the whole column is checked again.

A violation raises SQLSTATE 23503 ``foreign_key_violation``, naming the table, the column and a missing key, as
PostgreSQL's own foreign keys do; Django raises it as ``IntegrityError`` (a ``COPY`` run on psycopg's own cursor, as
``accounts.bulk`` does, raises psycopg's ``ForeignKeyViolation``, also an ``IntegrityError``, without Django's wrapper).

What differs from a row-level foreign key (see docs/set-based-foreign-keys.md):

* the check runs at the end of each statement and cannot be deferred: the referenced row must exist when the
  statement that refers to it ends, so parents are written first;
* it takes no lock on the referenced row, so a referenced row deleted by another transaction that commits between the
  check and our commit is not noticed (nor a child row inserted by another transaction while a parent is deleted);
* TRUNCATE, ``session_replication_role = replica`` and disabled triggers skip it, as they skip foreign keys.

The SQL is generated from the model's ``_meta`` (tables, columns, referenced tables and keys), never typed by hand.
Migrations call :func:`create_sql` and :func:`drop_sql` with the historical model, on PostgreSQL only. A migration that
adds, changes or removes a foreign key of such a model runs :func:`drop_sql` and then :func:`create_sql` again.
"""

from dataclasses import dataclass

from django.db import models

# PostgreSQL cuts longer identifiers silently; a cut name would no longer be the one the tests look for.
MAX_IDENTIFIER_BYTES = 63


@dataclass(frozen=True)
class Reference:
    """One foreign key column: ``table.column`` refers to ``parent_table.parent_column``."""

    table: str
    column: str
    parent_table: str
    parent_column: str


@dataclass(frozen=True)
class Names:
    """The names of one table's functions and triggers. Trigger names are per table in PostgreSQL, so the parent-side
    triggers carry the child table's name on every referenced table."""

    child_function: str  # runs after INSERT or UPDATE on the table
    parent_function: str  # runs after DELETE or an UPDATE of the key on a referenced table
    insert_trigger: str
    update_trigger: str
    delete_trigger: str  # on each referenced table
    key_update_trigger: str  # on each referenced table


def references(model: type[models.Model]) -> list[Reference]:
    """The model's foreign key columns (one-to-one fields included), in field order."""
    return [
        Reference(model._meta.db_table, field.column, field.related_model._meta.db_table, field.target_field.column)
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey)
    ]


def names(model: type[models.Model]) -> Names:
    table = model._meta.db_table
    result = Names(
        child_function=f"{table}_fk_child",
        parent_function=f"{table}_fk_parent",
        insert_trigger=f"{table}_fk_insert",
        update_trigger=f"{table}_fk_update",
        delete_trigger=f"{table}_fk_delete",
        key_update_trigger=f"{table}_fk_key_update",
    )
    too_long = [name for name in vars(result).values() if len(name.encode()) > MAX_IDENTIFIER_BYTES]
    if too_long:
        raise ValueError(f"names longer than PostgreSQL keeps: {too_long}")
    return result


def triggers(model: type[models.Model]) -> set[tuple[str, str, str]]:
    """Every trigger that checks the model's foreign keys, as (table, trigger, function): what must exist in the
    database once :func:`create_sql` has run."""
    n = names(model)
    table = model._meta.db_table
    found = {(table, n.insert_trigger, n.child_function), (table, n.update_trigger, n.child_function)}
    for parent in _parents(references(model)):
        found |= {(parent, n.delete_trigger, n.parent_function), (parent, n.key_update_trigger, n.parent_function)}
    return found


def create_sql(model: type[models.Model]) -> list[str]:
    """The statements that create the model's checks: two functions and their triggers."""
    refs = references(model)
    if not refs:
        return []
    n = names(model)
    table = _quote(model._meta.db_table)
    statements = [
        _child_function(n.child_function, refs),
        _parent_function(n.parent_function, refs),
        f"CREATE TRIGGER {_quote(n.insert_trigger)} AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {_quote(n.child_function)}()",
        # PostgreSQL allows no column list (UPDATE OF …) on a trigger with transition tables, so this one runs after
        # every UPDATE of the table; the function skips keys that did not change.
        f"CREATE TRIGGER {_quote(n.update_trigger)} AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
        f"EXECUTE FUNCTION {_quote(n.child_function)}()",
    ]
    for parent, keys in _parents(refs).items():
        statements += [
            f"CREATE TRIGGER {_quote(n.delete_trigger)} AFTER DELETE ON {_quote(parent)} "
            f"REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {_quote(n.parent_function)}()",
            # With a column list, so that it runs only when a statement sets the key itself; no transition tables
            # then (see above), so the function checks the whole column.
            f"CREATE TRIGGER {_quote(n.key_update_trigger)} AFTER UPDATE OF {', '.join(map(_quote, keys))} "
            f"ON {_quote(parent)} FOR EACH STATEMENT EXECUTE FUNCTION {_quote(n.parent_function)}()",
        ]
    return statements


def drop_sql(model: type[models.Model]) -> list[str]:
    """The statements that remove the model's checks. Every one of its triggers runs one of its two functions, so
    dropping the functions with CASCADE drops exactly those triggers, on whichever tables they are, even on a table
    that the model no longer refers to."""
    n = names(model)
    return [
        f"DROP FUNCTION IF EXISTS {_quote(n.child_function)}() CASCADE",
        f"DROP FUNCTION IF EXISTS {_quote(n.parent_function)}() CASCADE",
    ]


def _parents(refs: list[Reference]) -> dict[str, list[str]]:
    """Referenced table → its referenced columns, each once, in the order first referenced."""
    parents: dict[str, list[str]] = {}
    for ref in refs:
        keys = parents.setdefault(ref.parent_table, [])
        if ref.parent_column not in keys:
            keys.append(ref.parent_column)
    return parents


# The body of both functions. Each check is one query that returns the first violation found, if any, as (column,
# key, referenced table, referenced column). EXECUTE plans it afresh on every call, knowing how many rows the
# transition tables hold: a plan kept from a first call with one row would look 200 000 keys up one by one later.
_FUNCTION = """CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $function$
DECLARE
    found_column text;
    found_key text;
    found_parent text;
    found_parent_column text;
BEGIN
{checks}    IF found_column IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = {message},
            DETAIL = {detail},
            SCHEMA = TG_TABLE_SCHEMA,
            TABLE = {table},
            COLUMN = found_column;
    END IF;
    RETURN NULL;
END
$function$"""

# Worded like PostgreSQL's own foreign key errors.
_CHILD_MESSAGE = (
    """format('insert or update on table "%s" violates the foreign key of column "%s"', """
    """TG_TABLE_NAME, found_column)"""
)
_CHILD_DETAIL = """format('Key (%s)=(%s) is not present in table "%s".', found_column, found_key, found_parent)"""
_PARENT_MESSAGE = (
    """format('update or delete on table "%s" violates the foreign key of column "%s" of table "%s"', """
    """TG_TABLE_NAME, found_column, {table})"""
)
_PARENT_DETAIL = (
    """format('Key (%s)=(%s) is still referenced from table "%s".', found_parent_column, found_key, {table})"""
)


def _child_function(name: str, refs: list[Reference]) -> str:
    inserted = [_missing_parent(ref) for ref in refs]
    # A key that some row already had before the UPDATE had its parent then, and a parent cannot go without the
    # parent-side check noticing: only the keys new to the table are looked up.
    updated = [f"{_missing_parent(ref)} AND NOT EXISTS ({_same_key_before(ref)})" for ref in refs]
    checks = _if([("TG_OP = 'INSERT'", _execute(inserted, 8)), ("TG_OP = 'UPDATE'", _execute(updated, 8))], 4)
    return _FUNCTION.format(
        name=_quote(name), checks=checks, message=_CHILD_MESSAGE, detail=_CHILD_DETAIL, table="TG_TABLE_NAME"
    )


def _parent_function(name: str, refs: list[Reference]) -> str:
    """The trigger runs on every referenced table; TG_TABLE_NAME says which one, and so which columns to check."""
    table = _literal(refs[0].table)

    def per_parent(check) -> str:
        branches = []
        for parent in _parents(refs):
            queries = [check(ref) for ref in refs if ref.parent_table == parent]
            branches.append((f"TG_TABLE_NAME = {_literal(parent)}", _execute(queries, 12)))
        return _if(branches, 8)

    deleted, key_updated = per_parent(_still_referenced), per_parent(_missing_parent_anywhere)
    checks = _if([("TG_OP = 'DELETE'", deleted), ("TG_OP = 'UPDATE'", key_updated)], 4)
    return _FUNCTION.format(
        name=_quote(name),
        checks=checks,
        message=_PARENT_MESSAGE.format(table=table),
        detail=_PARENT_DETAIL.format(table=table),
        table=table,
    )


def _if(branches: list[tuple[str, str]], indent: int) -> str:
    """A plpgsql IF … ELSIF … END IF of (condition, statements) pairs."""
    pad = " " * indent
    text = "".join(
        f"{pad}{'ELSIF' if i else 'IF'} {condition} THEN\n{body}" for i, (condition, body) in enumerate(branches)
    )
    return f"{text}{pad}END IF;\n"


def _execute(queries: list[str], indent: int) -> str:
    """One query for all the columns, stopping at the first violation."""
    pad = " " * indent
    union = f"\n{pad}    UNION ALL\n".join(f"{pad}    {query}" for query in queries)
    into = "INTO found_column, found_key, found_parent, found_parent_column"
    return f"{pad}EXECUTE $query$\n{union}\n{pad}$query$ {into};\n"


def _found(ref: Reference, key: str) -> str:
    return f"SELECT {_literal(ref.column)}, {key}::text, {_literal(ref.parent_table)}, {_literal(ref.parent_column)}"


def _missing_parent(ref: Reference) -> str:
    """A new row's non-NULL key that its referenced table does not have (an anti-join over ``new_rows``)."""
    column, parent, key = _quote(ref.column), _quote(ref.parent_table), _quote(ref.parent_column)
    return (
        f"{_found(ref, f'n.{column}')} FROM new_rows AS n WHERE n.{column} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.{key} = n.{column})"
    )


def _still_referenced(ref: Reference) -> str:
    """A deleted key that a row of the table still refers to (a semi-join over ``old_rows``). The key must also be
    gone from its table: a statement that deletes a key and writes it again leaves nothing dangling."""
    table, column, parent, key = (_quote(name) for name in (ref.table, ref.column, ref.parent_table, ref.parent_column))
    return (
        f"{_found(ref, f'o.{key}')} FROM old_rows AS o "
        f"WHERE EXISTS (SELECT 1 FROM {table} AS c WHERE c.{column} = o.{key}) "
        f"AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.{key} = o.{key})"
    )


def _same_key_before(ref: Reference) -> str:
    column = _quote(ref.column)
    return f"SELECT 1 FROM old_rows AS o WHERE o.{column} = n.{column}"


def _missing_parent_anywhere(ref: Reference) -> str:
    """Any row's non-NULL key that its referenced table does not have: after a referenced key itself was updated,
    which has no transition tables to narrow it down."""
    table, column, parent, key = (_quote(name) for name in (ref.table, ref.column, ref.parent_table, ref.parent_column))
    return (
        f"{_found(ref, f'c.{column}')} FROM {table} AS c WHERE c.{column} IS NOT NULL "
        f"AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE p.{key} = c.{column})"
    )


def _quote(name: str) -> str:
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    """A PostgreSQL string literal."""
    return "'" + text.replace("'", "''") + "'"
