import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def in_english(client):
    """These tests read the English texts: the test client asks for English and messages are made in English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
