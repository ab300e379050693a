"""The message catalogues (src/avain/locale) are complete, keep every placeholder, and the committed .mo files are current.

These tests read the .po and .mo files with polib, so they need no gettext tools. After changing a source string, run
from src/avain: `python -m avain makemessages --no-obsolete -l fi -l sv -l en`, translate, then `python -m avain compilemessages`.
"""

import re
from collections import Counter
from pathlib import Path

import polib
import pytest

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
LANGUAGES = ["fi", "sv", "en"]

# %(name)s and other named printf conversions, bare %s / %d, and str.format fields such as {name} or {0}.
# A literal "%%" is removed before matching, so it never counts as a placeholder.
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0 +\-]*\d*(?:\.\d+)?[sdifeEgGxXor]|%[#0 +\-]*\d*(?:\.\d+)?[sdifeEgGxXor]|\{[A-Za-z_0-9]*\}")


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def po_file(language: str) -> polib.POFile:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    assert path.is_file(), f"{path} is missing; run makemessages"
    return polib.pofile(str(path))


def mo_file(language: str) -> polib.MOFile:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "django.mo"
    assert path.is_file(), f"{path} is missing; run compilemessages"
    return polib.mofile(str(path))


def live_entries(catalogue) -> list:
    return [entry for entry in catalogue if not getattr(entry, "obsolete", False) and entry.msgid != ""]


def translations(catalogue) -> dict:
    """(context, msgid, msgid_plural) -> the translation: a string, or a tuple of plural forms in order."""
    result = {}
    for entry in live_entries(catalogue):
        key = (entry.msgctxt, entry.msgid, entry.msgid_plural or None)
        if entry.msgid_plural:
            result[key] = tuple(entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural, key=int))
        else:
            result[key] = entry.msgstr
    return result


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_is_for_its_language_and_not_empty(language):
    po = po_file(language)
    assert po.metadata.get("Language") == language
    assert po.metadata.get("Plural-Forms"), "the header needs Plural-Forms"
    assert not po.metadata_is_fuzzy, "the header is still marked fuzzy"
    assert len(live_entries(po)) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    po = po_file(language)
    untranslated = [entry.msgid for entry in live_entries(po) if not entry.translated()]
    empty_plural_forms = [
        entry.msgid for entry in live_entries(po) if entry.msgid_plural and not all(entry.msgstr_plural.values())
    ]
    fuzzy = [entry.msgid for entry in live_entries(po) if "fuzzy" in entry.flags]
    assert untranslated == []
    assert empty_plural_forms == []
    assert fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_placeholder_is_kept(language):
    problems = []
    for entry in live_entries(po_file(language)):
        if entry.msgid_plural:
            pairs = [
                (entry.msgid if int(index) == 0 else entry.msgid_plural, text)
                for index, text in entry.msgstr_plural.items()
            ]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, translation in pairs:
            wanted, found = placeholders(source), placeholders(translation)
            if set(wanted) != set(found):
                problems.append(f"{source!r} -> {translation!r}: expected {sorted(wanted)}, found {sorted(found)}")
    assert problems == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language):
    po, mo = po_file(language), mo_file(language)
    from_po, from_mo = translations(po), translations(mo)
    missing = sorted(str(key) for key in from_po.keys() - from_mo.keys())
    extra = sorted(str(key) for key in from_mo.keys() - from_po.keys())
    changed = sorted(str(key) for key in from_po.keys() & from_mo.keys() if from_po[key] != from_mo[key])
    assert (missing, extra, changed) == ([], [], []), "the .mo file is stale; run compilemessages"
    assert mo.metadata.get("Plural-Forms") == po.metadata.get("Plural-Forms")


def test_the_placeholder_pattern_finds_what_it_should():
    assert placeholders("%(total)s € of %(budget)s €, %s, %d, {name} and 100%%") == Counter(
        ["%(total)s", "%(budget)s", "%s", "%d", "{name}"]
    )
