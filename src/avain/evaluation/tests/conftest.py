import pytest


@pytest.fixture
def instruments(db):
    """The shipped questionnaires. The data migration installs them, but a browser test's flush of the database
    removes them again, so each test that needs them installs them (idempotent)."""
    from avain.evaluation.services import load_instruments

    load_instruments()
