"""On PostgreSQL the database itself refuses overlapping sampling periods of one organiser and overlapping cost rates
of one role: exclusion constraints over inclusive date ranges (an empty ``valid_to`` is an open end). SQLite has no
such constraint, so they are not part of the models' state; the services refuse overlaps on every database and these
are the last line behind them."""

from django.db import migrations

CONSTRAINTS = [
    (
        "timeuse_samplingperiod",
        "samplingperiod_no_overlap",
        "EXCLUDE USING gist (organiser_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)",
    ),
    (
        "timeuse_costrate",
        "costrate_no_overlap",
        "EXCLUDE USING gist (organiser_id WITH =, role WITH =, daterange(valid_from, valid_to, '[]') WITH &&)",
    ),
]


def add(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table, name, definition in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _definition in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("timeuse", "0001_initial")]

    operations = [migrations.RunPython(add, remove)]
