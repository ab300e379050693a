"""Storage settings on PostgreSQL for posting large invoice files (see docs/invoice-files.md):

* An invoice file is kept with its import (``ImportFile.content``, up to 20 MB). PostgreSQL's default compression
  (pglz) takes seconds for a file that size; lz4 takes milliseconds and still shrinks text several times.
* Every posting updates the totals of sub-accounts and agreements, and a county's file may update every row of them
  once. With half of each page left free (fillfactor 50) every row's new version stays on its page and none of the
  tables' indexes need new entries (HOT updates: no indexed column changes); the old versions are pruned from the
  page by the next writer. Both tables are small beside the ledger, so the space is cheap.

Nothing to do on SQLite.
"""

from django.db import migrations

FORWARD = [
    """
    DO $$
    BEGIN
        ALTER TABLE accounts_importfile ALTER COLUMN content SET COMPRESSION lz4;
    EXCEPTION WHEN feature_not_supported THEN
        -- A server built without lz4: store the files uncompressed rather than slowly compressed.
        ALTER TABLE accounts_importfile ALTER COLUMN content SET STORAGE EXTERNAL;
    END
    $$
    """,
    "ALTER TABLE accounts_subaccount SET (fillfactor = 50)",
    "ALTER TABLE accounts_agreement SET (fillfactor = 50)",
]
BACKWARD = [
    "ALTER TABLE accounts_importfile ALTER COLUMN content SET COMPRESSION DEFAULT",
    "ALTER TABLE accounts_importfile ALTER COLUMN content SET STORAGE EXTENDED",
    "ALTER TABLE accounts_subaccount RESET (fillfactor)",
    "ALTER TABLE accounts_agreement RESET (fillfactor)",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_set_based_foreign_keys")]

    operations = [migrations.RunPython(forward, backward)]
