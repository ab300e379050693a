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

from . import imports
from .models import AccountStatus, AgreementStatus, EntryKind, ImportFile, Invoice, InvoiceSource, InvoiceStatus, LedgerEntry
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
TEMP_TABLES = ("csv_row", "csv_date", "csv_number", "csv_iban", "csv_reference", "csv_line", "csv_plain", "csv_invoice")


def post_csv(
    table: "imports.CsvTable", *, provider: Provider, recorded_by, import_file: ImportFile | None
) -> tuple[list, PostingResult]:
    """Post the table's invoices; returns the reading problems and the posting result of the lines left to the
    reference path, with ``lines_posted`` counting every line posted. The caller holds the transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TEMP_TABLES)}")
        _copy_rows(cursor, table)
        _copy_values(cursor, provider)
        params = {
            "organiser": provider.organiser_id,
            "provider": provider.pk,
            "provider_iban": provider.iban,
            "today": clock.today(),
        }
        _lock(cursor, params)
        _check_lines(cursor, params)
        _find_plain_invoices(cursor, params)
        posted = _post_plain_invoices(cursor, provider, recorded_by, import_file)
        cursor.execute(
            "SELECT line FROM csv_row r WHERE NOT EXISTS (SELECT 1 FROM csv_plain p WHERE p.number = r.invoice_number)"
        )
        left = {line for (line,) in cursor.fetchall()}
        cursor.execute(f"DROP TABLE {', '.join(TEMP_TABLES)}")
    read = imports.read_csv_rows(table, (row for row in table.rows if row[0] in left), provider)
    result = post_provider_invoices(
        provider=provider, claims=read.claims, source=InvoiceSource.CSV, recorded_by=recorded_by, import_file=import_file
    )
    result.lines_posted += posted
    return read.problems, result


def _copy_rows(cursor, table) -> None:
    """Every record, its values stripped as the reference strips them; ``extra`` marks values beyond the header."""
    columns = ", ".join(f"{name} text" for name in COLUMNS)
    cursor.execute(f"CREATE TEMP TABLE csv_row (line integer, extra boolean, {columns}) ON COMMIT DROP")
    width = table.width
    positions = [table.index.get(name) for name in COLUMNS]
    with cursor.cursor.copy(f"COPY csv_row (line, extra, {', '.join(COLUMNS)}) FROM STDIN") as copy:
        write = copy.write_row
        for line, values in table.rows:
            count = len(values)
            extra = count > width and any(value.strip() for value in values[width:])
            if count < width:
                values = values + [""] * (width - count)
            write((line, extra, *["" if at is None else values[at].strip() for at in positions]))
    cursor.execute("ANALYZE csv_row")


def _distinct(cursor, columns: tuple[str, ...]) -> list[str]:
    union = " UNION ".join(f"SELECT {column} FROM csv_row" for column in columns)
    cursor.execute(f"SELECT * FROM ({union}) AS v (text) WHERE text <> ''")
    return [text for (text,) in cursor.fetchall()]


def _copy_values(cursor, provider: Provider) -> None:
    """The distinct dates, numbers, accounts and references of the file, each parsed once by the reference's own
    functions; a value that does not parse (or would be refused) has no row, so its lines are not plain."""
    cursor.execute(
        "CREATE TEMP TABLE csv_date (text text PRIMARY KEY, value date) ON COMMIT DROP;"
        "CREATE TEMP TABLE csv_number (text text PRIMARY KEY, value numeric, fits_quantity boolean, "
        "fits_amount boolean) ON COMMIT DROP;"
        "CREATE TEMP TABLE csv_iban (text text PRIMARY KEY, iban text, payee_ok boolean) ON COMMIT DROP;"
        "CREATE TEMP TABLE csv_reference (text text PRIMARY KEY, reference text) ON COMMIT DROP"
    )
    dates = [(text, imports.csv_date(text)) for text in _distinct(cursor, ("invoice_date", "due_date", "service_date"))]
    numbers = [(text, imports.csv_number(text)) for text in _distinct(cursor, ("quantity", "unit_price", "amount"))]
    registered = provider.iban.replace(" ", "").upper()
    ibans = [(text, imports.csv_iban(text)) for text in _distinct(cursor, ("payee_iban",))]
    references = [(text, imports.csv_reference(text)) for text in _distinct(cursor, ("reference",))]
    _copy(cursor, "csv_date", [(text, value) for text, value in dates if value is not None])
    _copy(
        cursor,
        "csv_number",
        [
            (text, value, imports.csv_number_fits(value, imports.MAX_QUANTITY), imports.csv_number_fits(value, imports.MAX_AMOUNT))
            for text, value in numbers
            if value is not None
        ],
    )
    _copy(
        cursor,
        "csv_iban",
        [(text, iban, iban.replace(" ", "").upper() == registered) for text, iban in ibans if iban is not None],
    )
    _copy(cursor, "csv_reference", [(text, reference) for text, reference in references if reference is not None])


def _copy(cursor, table: str, rows: list[tuple]) -> None:
    if rows:
        with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# The agreements the file names, as the reference finds them: the provider's own, by number.
NAMED_AGREEMENTS = """
    SELECT a.* FROM accounts_agreement a
    WHERE a.organiser_id = %(organiser)s AND a.provider_id = %(provider)s
      AND a.number IN (SELECT agreement FROM csv_row)
"""


def _lock(cursor, params: dict) -> None:
    for table, column in (
        ("accounts_budgetaccount", "account_id"),
        ("accounts_agreement", "id"),
        ("accounts_subaccount", "sub_account_id"),
    ):
        cursor.execute(
            f"SELECT count(*) FROM (SELECT id FROM {table} WHERE id IN (SELECT {column} FROM ({NAMED_AGREEMENTS}) n) "
            f"ORDER BY id FOR UPDATE) AS locked",
            params,
        )


def _check_lines(cursor, params: dict) -> None:
    """Every line with its values and whether it passes every check of the reference (``ok``); money in cents."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE csv_line ON COMMIT DROP AS
        SELECT r.line, r.invoice_number AS number, ag.id AS agreement_id, ag.account_id, ag.sub_account_id,
               sd.value AS service_date, q.value AS quantity,
               -- in cents, only where the value fits the column (a huge one would overflow the cast)
               CASE WHEN p.fits_amount THEN (p.value * 100)::bigint END AS unit_price,
               CASE WHEN a.fits_amount THEN (a.value * 100)::bigint END AS amount, r.description,
               idate.value AS invoice_date, ddate.value AS due_date,
               CASE WHEN r.payee_iban = '' THEN %(provider_iban)s ELSE ib.iban END AS payee_iban,
               coalesce(rf.reference, '') AS reference,
               coalesce(
                   NOT r.extra
                   AND r.invoice_number <> '' AND length(r.invoice_number) <= {imports.MAX_INVOICE_NUMBER_LENGTH}
                   AND r.agreement <> '' AND length(r.description) <= {imports.MAX_DESCRIPTION_LENGTH}
                   AND sd.value IS NOT NULL AND idate.value IS NOT NULL AND ddate.value IS NOT NULL
                   AND q.fits_quantity AND p.fits_amount AND a.fits_amount
                   AND (r.payee_iban = '' OR ib.payee_ok)
                   AND (r.reference = '' OR rf.reference IS NOT NULL)
                   AND ag.id IS NOT NULL
                   AND acc.status = '{AccountStatus.OPEN}' AND ag.status = '{AgreementStatus.ACTIVE}'
                   AND sd.value <= %(today)s
                   AND sd.value BETWEEN acc.period_start AND acc.period_end
                   AND sd.value BETWEEN ag.valid_from AND ag.valid_until
                   AND %(today)s - sd.value <= acc.claim_deadline_days
                   AND q.value > 0 AND a.value > 0
                   AND p.value * 100 <= ag.unit_price
                   AND a.value = round(q.value * p.value, 2),
                   false
               ) AS ok
        FROM csv_row r
        LEFT JOIN csv_date sd ON sd.text = r.service_date
        LEFT JOIN csv_date idate ON idate.text = r.invoice_date
        LEFT JOIN csv_date ddate ON ddate.text = r.due_date
        LEFT JOIN csv_number q ON q.text = r.quantity
        LEFT JOIN csv_number p ON p.text = r.unit_price
        LEFT JOIN csv_number a ON a.text = r.amount
        LEFT JOIN csv_iban ib ON ib.text = r.payee_iban
        LEFT JOIN csv_reference rf ON rf.text = r.reference
        LEFT JOIN ({NAMED_AGREEMENTS}) ag ON ag.number = r.agreement
        LEFT JOIN accounts_budgetaccount acc ON acc.id = ag.account_id
        """,
        params,
    )


def _find_plain_invoices(cursor, params: dict) -> None:
    """The invoices that can be posted here (see the module's description)."""
    cursor.execute(
        f"""
        CREATE TEMP TABLE csv_plain ON COMMIT DROP AS
        WITH roomy AS (
            SELECT l.agreement_id FROM csv_line l JOIN ({NAMED_AGREEMENTS}) ag ON ag.id = l.agreement_id
            WHERE l.ok
            GROUP BY l.agreement_id, ag.cap, ag.used_amount, ag.quantity, ag.used_quantity
            HAVING sum(l.amount) <= ag.cap - ag.used_amount
               AND (ag.quantity IS NULL OR sum(l.quantity) <= ag.quantity - ag.used_quantity)
        )
        SELECT l.number FROM csv_line l
        WHERE NOT EXISTS (
            SELECT 1 FROM accounts_invoice i
            WHERE i.organiser_id = %(organiser)s AND i.provider_id = %(provider)s AND i.invoice_number = l.number
        )
        GROUP BY l.number
        HAVING bool_and(l.ok AND l.agreement_id IN (SELECT agreement_id FROM roomy))
           AND count(DISTINCT (l.invoice_date, l.due_date, l.payee_iban, l.reference)) = 1
           AND count(DISTINCT l.account_id) = 1
        """,
        params,
    )
    cursor.execute("ALTER TABLE csv_plain ADD PRIMARY KEY (number); ANALYZE csv_line; ANALYZE csv_plain")


def _post_plain_invoices(cursor, provider: Provider, recorded_by, import_file: ImportFile | None) -> int:
    """Insert the plain invoices, their lines and entries, and move the totals; returns the lines posted."""
    now = clock.now()
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
        "now": now,
        "awaiting_acceptance": InvoiceStatus.AWAITING_ACCEPTANCE.value,
        "awaiting_approval": InvoiceStatus.AWAITING_APPROVAL.value,
        "approved": InvoiceStatus.APPROVED.value,
        "release": EntryKind.RELEASE.value,
        "spending": EntryKind.SPENDING.value,
    }
    cursor.execute("CREATE TEMP TABLE csv_invoice (id bigint PRIMARY KEY, number text UNIQUE) ON COMMIT DROP")
    # The invoices in the order they first appear in the file, with the status the account's approvals ask for
    # (posting.initial_status).
    cursor.execute(
        f"""
        WITH invoice AS (
            SELECT l.number, min(l.line) AS first_line, min(l.account_id) AS account_id,
                   min(l.invoice_date) AS invoice_date, min(l.due_date) AS due_date,
                   min(l.reference) AS reference, sum(l.amount) AS total
            FROM csv_line l JOIN csv_plain USING (number) GROUP BY l.number
        ), inserted AS (
            INSERT INTO accounts_invoice ({invoice_columns})
            SELECT %(organiser)s, i.account_id, %(provider)s, %(source)s, %(import_file)s, i.number, i.invoice_date,
                   i.due_date, %(payee_name)s, %(payee_iban)s, i.reference, i.total,
                   CASE WHEN acc.client_acceptance THEN %(awaiting_acceptance)s
                        WHEN acc.staff_approval THEN %(awaiting_approval)s ELSE %(approved)s END,
                   %(by)s, %(now)s {invoice_defaults}
            FROM invoice i JOIN accounts_budgetaccount acc ON acc.id = i.account_id
            ORDER BY i.first_line
            RETURNING id, invoice_number
        )
        INSERT INTO csv_invoice SELECT id, invoice_number FROM inserted
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO accounts_invoiceline (organiser_id, invoice_id, sub_account_id, agreement_id, line_number,
                                          service_date, description, quantity, unit_price, amount)
        SELECT %(organiser)s, i.id, l.sub_account_id, l.agreement_id, l.line, l.service_date, l.description,
               l.quantity, l.unit_price, l.amount
        FROM csv_line l JOIN csv_invoice i USING (number)
        ORDER BY l.line
        """,
        params,
    )
    posted = cursor.rowcount
    # Per invoice and agreement the committed money becomes spending: a release and a spending entry.
    cursor.execute(
        f"""
        INSERT INTO accounts_ledgerentry ({entry_columns})
        SELECT %(organiser)s, s.account_id, s.sub_account_id, k.kind, k.sign * s.amount, s.invoice_id,
               s.agreement_id, '', %(now)s, %(by)s {entry_defaults}
        FROM (
            SELECT i.id AS invoice_id, l.agreement_id, l.sub_account_id, l.account_id, sum(l.amount) AS amount
            FROM csv_line l JOIN csv_invoice i USING (number)
            GROUP BY i.id, l.agreement_id, l.sub_account_id, l.account_id
        ) s
        CROSS JOIN (VALUES (%(release)s, -1, 1), (%(spending)s, 1, 2)) AS k (kind, sign, position)
        ORDER BY s.invoice_id, s.agreement_id, k.position
        """,
        params,
    )
    cursor.execute(
        """
        UPDATE accounts_subaccount s SET committed = s.committed - d.amount, spent = s.spent + d.amount
        FROM (SELECT l.sub_account_id, sum(l.amount) AS amount FROM csv_line l JOIN csv_invoice USING (number)
              GROUP BY l.sub_account_id) d
        WHERE s.id = d.sub_account_id
        """
    )
    cursor.execute(
        """
        UPDATE accounts_agreement a
        SET used_amount = a.used_amount + d.amount, used_quantity = a.used_quantity + d.quantity
        FROM (SELECT l.agreement_id, sum(l.amount) AS amount, sum(l.quantity) AS quantity
              FROM csv_line l JOIN csv_invoice USING (number) GROUP BY l.agreement_id) d
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
