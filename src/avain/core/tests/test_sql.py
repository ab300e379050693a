"""core.sql: plain-SQL reads through Django's connection, prepared on PostgreSQL."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from avain.core.models import User
from avain.core.sql import fetch_all, fetch_one, instance_from_row, money

pytestmark = pytest.mark.django_db

USER_SQL = "SELECT id, username FROM core_user WHERE username = %s AND is_active = %s"


@pytest.fixture
def users():
    return [User.objects.create_user(username=name, password="a long enough password") for name in ("aino", "eino")]


def test_reads_rows_and_the_query_log_sees_them(users):
    with CaptureQueriesContext(connection) as queries:
        assert fetch_one(USER_SQL, ["aino", True]) == (users[0].pk, "aino")
        assert fetch_one(USER_SQL, ["nobody", True]) is None
        assert fetch_all("SELECT username FROM core_user WHERE id IN (%s, %s) ORDER BY username DESC", [
            users[0].pk, users[1].pk,
        ]) == [("eino",), ("aino",)]  # fmt: skip
    assert len(queries) == 3
    assert queries[0]["sql"].startswith("SELECT id, username FROM core_user WHERE username = 'aino' AND is_active = ")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_the_query_log_shows_prepared_reads_with_their_values(users):
    sql = USER_SQL.replace("WHERE", "/* logged */ WHERE")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            fetch_one(sql, ["aino", True])
    assert _prepared("logged")
    assert {query["sql"] for query in queries} == {
        "SELECT id, username FROM core_user /* logged */ WHERE username = 'aino' AND is_active = true"
    }


def test_instance_from_row_defers_the_other_fields(users):
    pk, username = fetch_one(USER_SQL, ["eino", True])
    user = instance_from_row(User, ("id", "username"), (pk, username))
    assert (user.pk, user.username) == (users[1].pk, "eino")
    assert "email" in user.get_deferred_fields()
    assert user.email == users[1].email  # loaded when asked for


def test_money_reads_whole_cents_as_euros():
    assert money(12345) == Decimal("123.45")
    assert money(-5) == Decimal("-0.05")
    assert money(None) is None


def _prepared(marker: str) -> list[str]:
    """The statements prepared on this connection that carry ``marker`` (a connection outlives a test, and keeps
    what it prepared)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
        return [statement for (statement,) in cursor.fetchall()]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_postgresql_prepares_the_read_after_the_threshold(users):
    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    assert threshold is not None
    sql = USER_SQL.replace("WHERE", "/* prepared-after-threshold */ WHERE")
    for _ in range(threshold):
        fetch_one(sql, ["aino", True])
    assert _prepared("prepared-after-threshold") == []
    for _ in range(2):
        assert fetch_one(sql, ["aino", True]) == (users[0].pk, "aino")
    assert _prepared("prepared-after-threshold") == [
        "SELECT id, username FROM core_user /* prepared-after-threshold */ WHERE username = $1 AND is_active = $2"
    ]
    # Other values use the same prepared statement.
    assert fetch_one(sql, ["eino", True]) == (users[1].pk, "eino")
    assert len(_prepared("prepared-after-threshold")) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_postgresql_without_a_threshold_prepares_nothing(users, monkeypatch):
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    sql = USER_SQL.replace("WHERE", "/* never-prepared */ WHERE")
    for _ in range(10):
        assert fetch_one(sql, ["aino", True]) == (users[0].pk, "aino")
    assert _prepared("never-prepared") == []
