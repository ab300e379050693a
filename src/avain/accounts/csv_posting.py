"""Posting a CSV invoice file inside PostgreSQL, set-based: the fast path for files of hundreds of thousands of lines.

Reading and checking each line in Python costs far more than the database's own work, so on PostgreSQL the file's
records are copied into a temporary table and read, checked and posted there with a fixed number of statements.
The rules stay the ones of the reference path (:func:`avain.accounts.imports.read_csv_rows` and
:func:`avain.accounts.posting.post_provider_invoices`), in two ways:

* Values are parsed by the reference's own Python functions, once per *distinct* value (a file repeats its dates,
  prices, quantities, accounts and references on line after line), and joined in from small tables.
* Only *plain* invoices are posted here: every line readable and passing every check, all lines of one client, the
  same invoice details on every line, a number never sent before, and every agreement used has room for all of the
  file's lines on it, so the order of the lines cannot change what is posted. Every other invoice (in practice the
  few with a problem) is read and posted by the reference path afterwards, in the same transaction and in file
  order, which also writes its problems. An agreement without room for the whole file sends every invoice on it
  there, so the first lines in the file take the room, as they would line by line.

Locks are taken as every other writer takes them (accounts, then agreements, then sub-accounts, each in id order)
before anything is checked, so the room seen is the room that is used.
"""

from decimal import Decimal

from django.db import connection

from avain.catalogue.models import Provider
from avain.core import clock
from avain.core.money import round_money

from . import imports
from .models import AccountStatus, AgreementStatus, EntryKind, ImportFile, Invoice, InvoiceSource, InvoiceStatus, LedgerEntry
from .bulk import cents
from .posting import PostingResult, post_provider_invoices

# The CSV columns in the temporary table's order; a column the file lacks is empty, as the reference reads it.
COLUMNS = imports.CSV_COLUMNS
INVOICE_FIELDS = (
    "organiser_id", "account_id", "provider_id", "source", "import_file_id", "invoice_number", "invoice_date",
    "due_date", "payee_name", "payee_iban", "reference", "total", "status", "recorded_by_id", "recorded_at",
)  # fmt: skip
ENTRY_FIELDS = (
    "organiser_id", "account_id", "sub_account_id", "kind", "amount", "invoice_id", "agreement_id", "memo", "at",
    "by_id",
)  # fmt: skip
# The tables of one import, dropped at its end (and by PostgreSQL at commit); ``csv_row`` is a view of the first.
TEMP_TABLES = (
    "csv_raw, csv_date, csv_amount, csv_iban, csv_reference, csv_agreement, csv_terms, csv_line, csv_invoice_text, "
    "csv_plain, csv_use"
)


# For this transaction: sorts and hashes over a file's lines in memory, no compiling of expressions (it costs more
# than it saves on statements run once), and the temporary tables in memory too where the session has not used
# temporary tables yet (PostgreSQL fixes their buffers at the first use, and refuses to change them after).
SESSION_SETTINGS = """
    SET LOCAL work_mem = '64MB';
    SET LOCAL jit = off;
    DO $$ BEGIN PERFORM set_config('temp_buffers', '256MB', true); EXCEPTION WHEN OTHERS THEN NULL; END $$;
"""


def post_csv(
    table: "imports.CsvTable", *, provider: Provider, recorded_by, import_file: ImportFile | None
) -> tuple[list, PostingResult, int]:
    """Post the table's invoices; returns the reading problems and the posting result of the lines left to the
    reference path, with ``lines_posted`` counting every line posted, and the number of lines (blank lines not
    counted). The caller holds the transaction."""
    params = {
        "organiser": provider.organiser_id,
        "provider": provider.pk,
        "provider_iban": provider.iban,
        "today": clock.today(),
    }
    with connection.cursor() as cursor:
        cursor.execute(SESSION_SETTINGS + f"DROP VIEW IF EXISTS csv_row; DROP TABLE IF EXISTS {TEMP_TABLES}")
        if table.plain_lines is not None:
            _copy_plain(cursor, table)
        else:
            _copy_rows(cursor, table)
        _create_value_tables(cursor)
        # The planner's figures for the file's lines (and below, its agreements), so that it joins them by hashing
        # the smaller side rather than by sorting.
        cursor.execute("ANALYZE csv_raw")
        _parse_line_values(cursor)
        _lock(cursor, params)
        cursor.execute("ANALYZE csv_terms")
        _check_lines(cursor, params)
        _group_invoices(cursor)
        _parse(cursor, "csv_invoice_text", DATE, ("invoice_date", "due_date"))
        _parse(cursor, "csv_invoice_text", IBAN, ("payee_iban",), provider=provider)
        _parse(cursor, "csv_invoice_text", REFERENCE, ("reference",))
        _find_plain_invoices(cursor, params)
        posted = _post_plain_invoices(cursor, provider, recorded_by, import_file)
        cursor.execute(
            "SELECT line FROM csv_line l WHERE NOT EXISTS (SELECT 1 FROM csv_plain p WHERE p.number = l.number) "
            "ORDER BY line"
        )
        left = [line for (line,) in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM csv_line")
        (lines_total,) = cursor.fetchone()
        cursor.execute(f"DROP VIEW csv_row; DROP TABLE {TEMP_TABLES}")
    read = imports.read_csv_rows(table, _rows_at(table, left), provider)
    result = post_provider_invoices(
        provider=provider, claims=read.claims, source=InvoiceSource.CSV, recorded_by=recorded_by, import_file=import_file
    )
    result.lines_posted += posted
    return read.problems, result, lines_total


# What Python's str.strip() strips: every character for which str.isspace() is true (a test checks the list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# The file's texts are compared byte by byte: their order never matters here, only equality, and the database's
# language-aware collation would cost more on every comparison.
BYTES = '"C"'


def _copy_plain(cursor, table) -> None:
    """A plain file's body straight into ``COPY``, parsed by PostgreSQL, and ``csv_row`` as a view of it: the
    non-blank lines, numbered by the file's lines (one record per line), with their values stripped as the
    reference strips them. Most files have no white space around their values and no blank lines; then the view
    only names the columns."""
    raw = [f"c{position}" for position in range(table.width)]
    cursor.execute(
        f"CREATE TEMP TABLE csv_raw (ordinal integer GENERATED ALWAYS AS IDENTITY, "
        f"{', '.join(f'{c} text COLLATE {BYTES}' for c in raw)}) ON COMMIT DROP"
    )
    # FORCE_NOT_NULL: an empty value is the empty text, as the csv module reads it, not NULL.
    options = f"FORMAT csv, DELIMITER '{table.delimiter}', FORCE_NOT_NULL ({', '.join(raw)})"
    with cursor.cursor.copy(f"COPY csv_raw ({', '.join(raw)}) FROM STDIN ({options})") as copy:
        copy.write(table.body)
    padded = _padded(table)
    blank_lines = _blank_lines(table, padded)
    literal = "'" + WHITESPACE.replace("'", "''") + "'"
    cells = ", ".join(
        (f"btrim(c{table.index[name]}, {literal})" if padded else f"c{table.index[name]}") + f" AS {name}"
        if name in table.index
        else f"''::text COLLATE {BYTES} AS {name}"
        for name in COLUMNS
    )
    where = f" WHERE btrim(concat({', '.join(raw)}), {literal}) <> ''" if blank_lines else ""
    cursor.execute(
        f"CREATE TEMP VIEW csv_row AS SELECT {int(table.first_line) - 1} + ordinal AS line, false AS extra, {cells} "
        f"FROM csv_raw{where}"
    )


def _padded(table) -> bool:
    """Whether any value of a plain file may begin or end with white space. Substring searches run at memory speed;
    only white space that occurs in the file at all is looked for next to a delimiter or a line end."""
    body, delimiter = table.body, table.delimiter
    if body[:1].isspace() or body.rstrip("\r\n")[-1:].isspace():
        return True
    for space in WHITESPACE:
        if space not in "\r\n" and space in body:
            patterns = (delimiter + space, space + delimiter, "\n" + space, space + "\n", space + "\r")
            if any(pattern in body for pattern in patterns):
                return True
    return False


def _blank_lines(table, padded: bool) -> bool:
    """Whether a plain file has a line with nothing but delimiters and white space (the reference skips them);
    without padding, such a line is the delimiters alone."""
    if padded:
        return not all(line.replace(table.delimiter, "").strip() for line in table.plain_lines)
    empty = table.delimiter * (table.width - 1)
    return any(line == empty for line in (table.plain_lines[0], table.plain_lines[-1])) or any(
        f"\n{empty}{end}" in table.body for end in ("\n", "\r\n")
    )


def _rows_at(table, lines: list[int]) -> list[tuple[int, list[str]]]:
    """The table's rows on these lines (in order), as the reference reads them."""
    if table.plain_lines is None:
        wanted = set(lines)
        return [row for row in table.rows if row[0] in wanted]
    return [(line, table.plain_lines[line - table.first_line].split(table.delimiter)) for line in lines]


def _copy_rows(cursor, table) -> None:
    """Every record of a file read by the csv module, its values stripped as the reference strips them; ``extra``
    marks values beyond the header. ``csv_row`` is then all of it."""
    columns = ", ".join(f"{name} text COLLATE {BYTES}" for name in COLUMNS)
    cursor.execute(
        f"CREATE TEMP TABLE csv_raw (line integer, extra boolean, {columns}) ON COMMIT DROP;"
        "CREATE TEMP VIEW csv_row AS SELECT * FROM csv_raw"
    )
    width = table.width
    positions = [table.index.get(name) for name in COLUMNS]
    with cursor.cursor.copy(f"COPY csv_raw (line, extra, {', '.join(COLUMNS)}) FROM STDIN") as copy:
        write = copy.write_row
        for line, values in table.rows:
            count = len(values)
            extra = count > width and any(value.strip() for value in values[width:])
            if count < width:
                values = values + [""] * (width - count)
            write((line, extra, *["" if at is None else values[at].strip() for at in positions]))


# The kinds of value parsed once per distinct text: the table each goes into and how a text is parsed there, by the
# reference's own functions into the table's remaining columns (None: the text is refused, and gets no row).
DATE, IBAN, REFERENCE = "csv_date", "csv_iban", "csv_reference"
VALUE_TABLES = {DATE: "value date", IBAN: "iban text, payee_ok boolean", REFERENCE: "reference text"}


def _create_value_tables(cursor) -> None:
    cursor.execute(
        ";".join(
            f"CREATE TEMP TABLE {table} (text text COLLATE {BYTES} PRIMARY KEY, {columns}) ON COMMIT DROP"
            for table, columns in VALUE_TABLES.items()
        )
        + f";CREATE TEMP TABLE csv_amount (quantity_text text COLLATE {BYTES}, price_text text COLLATE {BYTES}, "
        f"amount_text text COLLATE {BYTES}, quantity numeric, unit_price bigint, amount bigint, "
        "PRIMARY KEY (quantity_text, price_text, amount_text)) ON COMMIT DROP"
    )


def _parse_line_values(cursor) -> None:
    """The file's distinct service dates, and its distinct (quantity, unit price, amount) texts that the reference
    accepts whatever the agreement: numbers that read and fit their columns, more than zero, and the amount the
    quantity times the price (rounded once, as money is). Money in cents. Both in one pass over the lines."""
    cursor.execute(
        "SELECT GROUPING(service_date), service_date, quantity, unit_price, amount FROM csv_row "
        "GROUP BY GROUPING SETS ((service_date), (quantity, unit_price, amount))"
    )
    dates, amounts = [], []
    for other_set, date_text, *texts in cursor.fetchall():
        if not other_set:
            if date_text and (row := _parsed(DATE, date_text, None)) is not None:
                dates.append(row)
            continue
        quantity, price, amount = (imports.csv_number(text) for text in texts)
        if (
            quantity is not None and price is not None and amount is not None
            and imports.csv_number_fits(quantity, imports.MAX_QUANTITY)
            and imports.csv_number_fits(price, imports.MAX_AMOUNT)
            and imports.csv_number_fits(amount, imports.MAX_AMOUNT)
            and quantity > 0 and amount > 0 and amount == round_money(quantity * price)
        ):  # fmt: skip
            amounts.append((*texts, quantity, cents(price), cents(amount)))
    _copy(cursor, DATE, dates)
    _copy(cursor, "csv_amount", amounts)


def _parse(cursor, source: str, kind: str, columns: tuple[str, ...], *, provider: Provider | None = None) -> None:
    """Parse the distinct texts of ``source``'s ``columns`` not parsed yet into the ``kind`` table."""
    union = " UNION ALL ".join(f"SELECT {column} FROM {source}" for column in columns)
    cursor.execute(
        f"SELECT DISTINCT text FROM ({union}) AS v (text) WHERE text <> '' "
        f"AND NOT EXISTS (SELECT 1 FROM {kind} parsed WHERE parsed.text = v.text)"
    )
    _copy(cursor, kind, [row for (text,) in cursor.fetchall() if (row := _parsed(kind, text, provider)) is not None])


def _parsed(kind: str, text: str, provider: Provider | None) -> tuple | None:
    if kind == DATE:
        value = imports.csv_date(text)
        return None if value is None else (text, value)
    if kind == IBAN:
        iban = imports.csv_iban(text)
        registered = provider.iban.replace(" ", "").upper()
        return None if iban is None else (text, iban, iban.replace(" ", "").upper() == registered)
    reference = imports.csv_reference(text)
    return None if reference is None else (text, reference)


def _copy(cursor, table: str, rows: list[tuple]) -> None:
    if rows:
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _lock(cursor, params: dict) -> None:
    """Lock the accounts, agreements and sub-accounts of the agreements the file names, each in id order; then
    ``csv_terms``: per agreement number, what a line under it is checked against, as it stands under the locks."""
    cursor.execute(
        """
        CREATE TEMP TABLE csv_agreement ON COMMIT DROP AS
        SELECT id, account_id, sub_account_id FROM accounts_agreement
        WHERE organiser_id = %(organiser)s AND provider_id = %(provider)s
          AND number::text COLLATE "C" IN (SELECT DISTINCT agreement FROM csv_row)
        """,
        params,
    )
    for table, column in (
        ("accounts_budgetaccount", "account_id"),
        ("accounts_agreement", "id"),
        ("accounts_subaccount", "sub_account_id"),
    ):
        cursor.execute(
            f"SELECT count(*) FROM (SELECT id FROM {table} WHERE id IN (SELECT {column} FROM csv_agreement) "
            f"ORDER BY id FOR UPDATE) AS locked"
        )
    # A service date is accepted from the latest of the agreement's start, the budget period's start and the claim
    # deadline, to the earliest of the agreement's end, the period's end and today.
    cursor.execute(
        f"""
        CREATE TEMP TABLE csv_terms ON COMMIT DROP AS
        SELECT ag.number::text COLLATE "C" AS number, ag.id AS agreement_id, ag.account_id, ag.sub_account_id, ag.unit_price,
               acc.status = '{AccountStatus.OPEN}' AND ag.status = '{AgreementStatus.ACTIVE}' AS usable,
               greatest(ag.valid_from, acc.period_start, %(today)s - acc.claim_deadline_days) AS first_day,
               least(ag.valid_until, acc.period_end, %(today)s) AS last_day
        FROM accounts_agreement ag JOIN accounts_budgetaccount acc ON acc.id = ag.account_id
        WHERE ag.id IN (SELECT id FROM csv_agreement)
        """,
        params,
    )


def _check_lines(cursor, params: dict) -> None:
    """Every line with its values and whether it passes every check of the reference that concerns the line
    alone (``ok``); the invoice's own details are checked once per invoice. Money in cents. A value that is
    missing or is refused joins nothing, which makes ``ok`` NULL and so false."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE csv_line ON COMMIT DROP AS
        SELECT r.line, r.invoice_number AS number, r.invoice_date, r.due_date, r.payee_iban, r.reference,
               t.agreement_id, t.account_id, t.sub_account_id, sd.value AS service_date,
               m.quantity, m.unit_price, m.amount, r.description,
               coalesce(
                   NOT r.extra
                   AND r.invoice_number <> '' AND length(r.invoice_number) <= {imports.MAX_INVOICE_NUMBER_LENGTH}
                   AND length(r.description) <= {imports.MAX_DESCRIPTION_LENGTH}
                   AND t.usable AND sd.value BETWEEN t.first_day AND t.last_day
                   AND m.unit_price <= t.unit_price,
                   false
               ) AS ok
        FROM csv_row r
        LEFT JOIN csv_date sd ON sd.text = r.service_date
        LEFT JOIN csv_amount m
               ON m.quantity_text = r.quantity AND m.price_text = r.unit_price AND m.amount_text = r.amount
        LEFT JOIN csv_terms t ON t.number = r.agreement
        """,
        params,
    )


def _group_invoices(cursor) -> None:
    """Per invoice number: its first line, whether every line passed, has one client and no agreement short of
    room, and its details if every line writes them the same (the reference compares them once read, so a file
    writing one date in two ways goes the reference's way)."""
    cursor.execute(
        """
        CREATE TEMP TABLE csv_invoice_text ON COMMIT DROP AS
        WITH tight AS (  -- agreements without room for all of the file's lines on them
            SELECT l.agreement_id FROM csv_line l JOIN accounts_agreement ag ON ag.id = l.agreement_id
            WHERE l.ok
            GROUP BY l.agreement_id, ag.cap, ag.used_amount, ag.quantity, ag.used_quantity
            HAVING sum(l.amount) > ag.cap - ag.used_amount
                OR (ag.quantity IS NOT NULL AND sum(l.quantity) > ag.quantity - ag.used_quantity)
        )
        SELECT number, min(line) AS first_line, min(account_id) AS account_id, min(invoice_date) AS invoice_date,
               min(due_date) AS due_date, min(payee_iban) AS payee_iban, min(reference) AS reference,
               sum(amount) AS total
        FROM csv_line
        GROUP BY number
        HAVING bool_and(ok) AND min(account_id) = max(account_id)
           AND min(invoice_date) = max(invoice_date) AND min(due_date) = max(due_date)
           AND min(payee_iban) = max(payee_iban) AND min(reference) = max(reference)
           AND NOT bool_or(agreement_id IN (SELECT agreement_id FROM tight))
        """
    )


def _find_plain_invoices(cursor, params: dict) -> None:
    """The invoices that can be posted here (see the module's description), with their details read, the status
    the account's approvals give them (as posting.initial_status) and their ids, drawn in the order the invoices
    first appear in the file."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE csv_plain ON COMMIT DROP AS
        SELECT nextval(pg_get_serial_sequence('{Invoice._meta.db_table}', 'id')) AS id, plain.*
        FROM (
            SELECT i.number, i.account_id, idate.value AS invoice_date, ddate.value AS due_date,
                   coalesce(rf.reference, '') AS reference, i.total,
                   CASE WHEN acc.client_acceptance THEN %(awaiting_acceptance)s
                        WHEN acc.staff_approval THEN %(awaiting_approval)s ELSE %(approved)s END AS status
            FROM csv_invoice_text i
            JOIN accounts_budgetaccount acc ON acc.id = i.account_id
            JOIN csv_date idate ON idate.text = i.invoice_date
            JOIN csv_date ddate ON ddate.text = i.due_date
            LEFT JOIN csv_iban ib ON ib.text = i.payee_iban
            LEFT JOIN csv_reference rf ON rf.text = i.reference
            WHERE (i.payee_iban = '' OR ib.payee_ok) AND (i.reference = '' OR rf.reference IS NOT NULL)
              AND NOT EXISTS (
                  SELECT 1 FROM accounts_invoice sent
                  WHERE sent.organiser_id = %(organiser)s AND sent.provider_id = %(provider)s
                    AND sent.invoice_number = i.number COLLATE "default"
              )
            ORDER BY i.first_line
        ) plain
        """,
        {
            **params,
            "awaiting_acceptance": InvoiceStatus.AWAITING_ACCEPTANCE.value,
            "awaiting_approval": InvoiceStatus.AWAITING_APPROVAL.value,
            "approved": InvoiceStatus.APPROVED.value,
        },
    )
    cursor.execute("ALTER TABLE csv_plain ADD PRIMARY KEY (number)")


def _post_plain_invoices(cursor, provider: Provider, recorded_by, import_file: ImportFile | None) -> int:
    """Insert the plain invoices, their lines and entries, and move the totals; returns the lines posted."""
    invoice_columns, invoice_defaults = _columns(Invoice, INVOICE_FIELDS)
    entry_columns, entry_defaults = _columns(LedgerEntry, ENTRY_FIELDS)
    params = {
        "organiser": provider.organiser_id,
        "provider": provider.pk,
        "source": InvoiceSource.CSV.value,
        "import_file": import_file.pk if import_file is not None else None,
        "payee_name": provider.name,
        "payee_iban": provider.iban,
        "by": recorded_by.pk,
        "now": clock.now(),
        "release": EntryKind.RELEASE.value,
        "spending": EntryKind.SPENDING.value,
    }
    cursor.execute(
        f"""
        INSERT INTO accounts_invoice (id, {invoice_columns})
        SELECT id, %(organiser)s, account_id, %(provider)s, %(source)s, %(import_file)s, number, invoice_date,
               due_date, %(payee_name)s, %(payee_iban)s, reference, total, status, %(by)s, %(now)s {invoice_defaults}
        FROM csv_plain ORDER BY id
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO accounts_invoiceline (organiser_id, invoice_id, sub_account_id, agreement_id, line_number,
                                          service_date, description, quantity, unit_price, amount)
        SELECT %(organiser)s, p.id, l.sub_account_id, l.agreement_id, l.line, l.service_date, l.description,
               l.quantity, l.unit_price, l.amount
        FROM csv_line l JOIN csv_plain p USING (number)
        """,
        params,
    )
    posted = cursor.rowcount
    # What each invoice uses of each agreement: summed first, then given the invoice's id.
    cursor.execute(
        """
        CREATE TEMP TABLE csv_use ON COMMIT DROP AS
        SELECT p.id AS invoice_id, u.agreement_id, u.sub_account_id, u.account_id, u.amount, u.quantity
        FROM (
            SELECT number, agreement_id, sub_account_id, account_id, sum(amount) AS amount, sum(quantity) AS quantity
            FROM csv_line WHERE number IN (SELECT number FROM csv_plain)
            GROUP BY number, agreement_id, sub_account_id, account_id
        ) u
        JOIN csv_plain p USING (number)
        """
    )
    # Per invoice and agreement the committed money becomes spending: a release and a spending entry.
    cursor.execute(
        f"""
        INSERT INTO accounts_ledgerentry ({entry_columns})
        SELECT %(organiser)s, u.account_id, u.sub_account_id, k.kind, k.sign * u.amount, u.invoice_id,
               u.agreement_id, '', %(now)s, %(by)s {entry_defaults}
        FROM csv_use u CROSS JOIN (VALUES (%(release)s, -1, 1), (%(spending)s, 1, 2)) AS k (kind, sign, position)
        ORDER BY u.invoice_id, u.agreement_id, k.position
        """,
        params,
    )
    cursor.execute(
        """
        UPDATE accounts_subaccount s SET committed = s.committed - d.amount, spent = s.spent + d.amount
        FROM (SELECT sub_account_id, sum(amount) AS amount FROM csv_use GROUP BY sub_account_id) d
        WHERE s.id = d.sub_account_id;
        UPDATE accounts_agreement a
        SET used_amount = a.used_amount + d.amount, used_quantity = a.used_quantity + d.quantity
        FROM (SELECT agreement_id, sum(amount) AS amount, sum(quantity) AS quantity FROM csv_use GROUP BY agreement_id) d
        WHERE a.id = d.agreement_id
        """
    )
    return posted


def _columns(model, fields: tuple[str, ...]) -> tuple[str, str]:
    """The column list for ``fields`` followed by the model's other NOT NULL columns, and the SQL literals of those
    columns' model defaults (to follow the named values), as ``bulk.insert`` fills them."""
    opts = model._meta
    named = [opts.get_field(name).column for name in fields]
    defaulted = [f for f in opts.concrete_fields if f is not opts.pk and f.attname not in fields and not f.null]
    literals = [_literal(f.get_db_prep_save(f.get_default(), connection)) for f in defaulted]
    columns = ", ".join(connection.ops.quote_name(c) for c in named + [f.column for f in defaulted])
    return columns, "".join(f", {literal}" for literal in literals)


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for the default {value!r}")
