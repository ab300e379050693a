"""The SEPA Latin character set, and turning Finnish (and other European) text into it.

The EPC's SEPA rulebooks allow only these characters in payment messages::

    a-z A-Z 0-9 / - ? : ( ) . , ' + and space

Letters with accents and marks lose them (ä → a, Å → A, é → e, š → s); a few letters and signs have a fixed spelling
(ß → ss, æ → ae, ø → o, & → +, quotation marks → '). Anything else is refused with the characters named, never
dropped silently. Identifiers (message and end-to-end ids) are not transliterated: they must be in the set as given,
and may neither start nor end with "/" nor contain "//".
"""

import re
import unicodedata

SEPA_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")

_SPELLINGS = {
    "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D",
    "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH", "ł": "l", "Ł": "L", "ı": "i", "&": "+", "_": "-", "–": "-", "—": "-",
    "‐": "-", "‑": "-", "’": "'", "‘": "'", "‚": "'", "`": "'", "´": "'", '"': "'", "“": "'", "”": "'", "„": "'",
    "«": "'", "»": "'", "[": "(", "]": ")", "{": "(", "}": ")", ";": ",", "!": ".",
}
_SPACES = re.compile(r"\s+")


class SepaTextError(ValueError):
    def __init__(self, text: str, characters: str):
        super().__init__(f"“{text}” has characters that a SEPA payment cannot carry: {characters}")
        self.characters = characters


def is_sepa_text(text: str) -> bool:
    return all(character in SEPA_CHARACTERS for character in text)


def to_sepa_text(text: str) -> str:
    """``text`` in the SEPA character set, spaces collapsed; ``SepaTextError`` naming what cannot be written."""
    result = []
    refused = []
    for character in _SPACES.sub(" ", text).strip():
        if character in SEPA_CHARACTERS:
            result.append(character)
            continue
        if character in _SPELLINGS:
            result.append(_SPELLINGS[character])
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", character) if not unicodedata.combining(c))
        if base and is_sepa_text(base):
            result.append(base)
        else:
            refused.append(character)
    if refused:
        raise SepaTextError(text, "".join(dict.fromkeys(refused)))
    return _SPACES.sub(" ", "".join(result)).strip()


def is_sepa_identifier(value: str) -> bool:
    return (
        bool(value)
        and is_sepa_text(value)
        and " " not in value
        and not value.startswith("/")
        and not value.endswith("/")
        and "//" not in value
    )
