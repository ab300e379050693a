"""Every demo persona's pages, reached by clicking as a person would, checked with axe-core in Finnish and Swedish.

This walks the demo installation itself: the persona switcher, each persona's landing page and every link in
the main menu and in the page's main content that stays inside Avain.
"""

import pytest
from playwright.sync_api import expect

from avain.portal.demo import PERSONAS, load_demo_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES_PER_PERSONA = 12  # enough to reach every kind of page from a landing page, few enough to stay quick


def _internal_links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header nav a, main a", "links => links.map(a => a.getAttribute('href'))"
    )
    return [href for href in dict.fromkeys(hrefs) if href and href.startswith("/") and not href.startswith("/demo/")]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_every_persona_page_is_accessible(live_server, new_page, assert_accessible, settings, language):
    settings.AVAIN_DEMO = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    load_demo_data()
    base = live_server.url
    visited: set[str] = set()
    for persona in PERSONAS:
        page = new_page(language)
        page.goto(f"{base}/demo/personas/")
        assert_accessible(page)
        page.locator(f"form:has(input[name=username][value='{persona.username}']) button").click()
        expect(page.locator("form[action='/logout/'] button")).to_be_visible()
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page)
        for href in _internal_links(page, base)[:PAGES_PER_PERSONA]:
            response = page.goto(f"{base}{href}")
            assert response.status == 200, f"{persona.username}: {href} answered {response.status}"
            assert_accessible(page)
            visited.add(href.split("?")[0])
        page.context.close()
    assert len(visited) >= 15, visited
