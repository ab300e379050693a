"""PostgreSQL-only database guards of the price list, and the migration operation that adds them.

On PostgreSQL the database itself refuses two prices of one service whose validity overlaps: an exclusion
constraint over ``daterange(valid_from, valid_to, '[]')`` (inclusive bounds; an empty ``valid_to`` is an open end)
with equal organiser and service, which needs the ``btree_gist`` extension. SQLite has no such constraint, so it is
not part of the model's state: :class:`AddConstraintOnPostgres` adds it in the database on PostgreSQL and does
nothing elsewhere, and ``makemigrations`` sees the same state on every database. The service layer
(:mod:`avain.catalogue.services`) refuses overlaps on every database; this constraint is the last line behind it.
"""

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.contrib.postgres.operations import BtreeGistExtension
from django.db import router
from django.db.migrations.operations.base import Operation
from django.db.models import F, Func, Value


class DateRange(Func):
    """``daterange(start, end, bounds)``: a NULL end is an unbounded (open) end."""

    function = "daterange"
    output_field = DateRangeField()


def price_no_overlap() -> ExclusionConstraint:
    return ExclusionConstraint(
        name="price_no_overlap",
        index_type="gist",
        expressions=[
            (F("organiser"), RangeOperators.EQUAL),
            (F("service"), RangeOperators.EQUAL),
            (DateRange(F("valid_from"), F("valid_to"), Value("[]")), RangeOperators.OVERLAPS),
        ],
    )


CONSTRAINTS = {"price_no_overlap": price_no_overlap}


class AddConstraintOnPostgres(Operation):
    """Add one of :data:`CONSTRAINTS` to a model's table on PostgreSQL only; the model state is left as it is."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, name: str):
        self.model_name = model_name
        self.name = name

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        pass  # not in the model state: SQLite could not have it

    def _applies(self, app_label, schema_editor) -> bool:
        return schema_editor.connection.vendor == "postgresql" and router.allow_migrate(
            schema_editor.connection.alias, app_label
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(app_label, schema_editor):
            model = to_state.apps.get_model(app_label, self.model_name)
            schema_editor.add_constraint(model, CONSTRAINTS[self.name]())

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if self._applies(app_label, schema_editor):
            model = from_state.apps.get_model(app_label, self.model_name)
            schema_editor.remove_constraint(model, CONSTRAINTS[self.name]())

    def describe(self):
        return f"Add constraint {self.name} on model {self.model_name} (PostgreSQL only)"

    @property
    def migration_name_fragment(self):
        return f"{self.model_name.lower()}_{self.name.lower()}"


class BtreeGistExtensionKept(BtreeGistExtension):
    """``CREATE EXTENSION IF NOT EXISTS btree_gist`` on PostgreSQL; unapplying keeps the extension.

    Other apps' exclusion constraints (e.g. the budget rules') use it too, so dropping it would fail or take theirs.
    """

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return "Creates extension btree_gist (PostgreSQL only; kept when unapplied)"
