"""Shared pytest fixtures: a real Chromium driven by Playwright, and the axe-core accessibility check."""

import os

import pytest
from hypothesis import settings as hypothesis_settings

# Speed is measured in bench/, never asserted in tests: Hypothesis' per-example deadline would fail a correct test
# on a busy machine.
hypothesis_settings.register_profile("avain", deadline=None)
hypothesis_settings.load_profile("avain")

CHROMIUM = os.environ.get("AVAIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
BLOCKING_IMPACTS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the Django ORM calls the tests make beside it are
    # synchronous and safe, so Django's async-safety guard is lifted for the browser tests.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (its own cookies: one signed-in person per context)."""
    contexts = []

    def open_page(language: str = "fi"):
        context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def assert_accessible():
    """Returns a check that runs axe-core on a page as it is now: no serious or critical violations."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    checked: list[str] = []

    def check(page) -> None:
        _check(axe, page)
        checked.append(page.url)

    check.checked = checked
    return check


def _check(axe, page) -> None:
    results = axe.run(page)
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
    details = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"axe-core found on {page.url}:\n{details}"


@pytest.fixture
def sign_in(live_server):
    """Returns a function that signs a user in through the real pages: password, then the TOTP code."""
    from playwright.sync_api import expect

    from avain.testing import TEST_PASSWORD, totp_token

    def sign_in_as(page, user, check=None) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Continue").click()
        if check:
            check(page)
        page.get_by_label("Six-digit code").fill(totp_token(user))
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    return sign_in_as
