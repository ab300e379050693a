import pytest
from django.conf import settings
from django.utils import translation


@pytest.fixture(autouse=True)
def default_language():
    """Every test starts and ends in the default language.

    A page request activates the language it asks for (LocaleMiddleware) and nothing switches it back, so without
    this a request in English would leak into the next test run by the same worker.
    """
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
