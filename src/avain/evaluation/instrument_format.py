"""The JSON format of an instrument, and its validation (no database). See docs/evaluation.md.

``parse`` reads the file and returns the instrument as a dict in a normal form, or raises one ``ValidationError``
listing every problem found, each saying where it is ("Question 3: …"), so an organiser can fix the file at once.
"""

import json
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LANGUAGES = ("fi", "sv", "en")
KINDS = ("scale", "choice", "text")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
MAX_BYTES = 500_000


def _language_name(code: str) -> str:
    return {"fi": _("Finnish"), "sv": _("Swedish"), "en": _("English")}[code]


class _Checker:
    def __init__(self):
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def texts(self, where: str, value, *, required: bool = True) -> dict[str, str]:
        """A text in the three languages: {"fi": …, "sv": …, "en": …}."""
        if value is None and not required:
            return {code: "" for code in LANGUAGES}
        if not isinstance(value, dict):
            self.error(where, _("write the text in Finnish, Swedish and English (keys fi, sv, en)."))
            return {code: "" for code in LANGUAGES}
        result = {}
        for code in LANGUAGES:
            text = value.get(code)
            if not isinstance(text, str) or not text.strip():
                self.error(where, _("the text in %(language)s is missing.") % {"language": _language_name(code)})
                text = ""
            result[code] = text.strip()
        return result

    def code(self, where: str, value, seen: set) -> str:
        if not isinstance(value, str) or not CODE.match(value):
            self.error(where, _("the code must be 1–50 lower-case letters, digits, hyphens or underscores."))
            return ""
        if value in seen:
            self.error(where, _("the code “%(code)s” is used twice.") % {"code": value})
        seen.add(value)
        return value


def parse(raw: bytes | str) -> dict:
    """The instrument in ``raw`` (JSON), checked; raises ValidationError (code ``invalid_instrument``)."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_BYTES:
            raise ValidationError(_("The file is too large."), code="invalid_instrument")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text."), code="invalid_instrument") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ValidationError(
            _("The file is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": error.lineno, "column": error.colno},
            code="invalid_instrument",
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(_("The file must hold one instrument (a JSON object)."), code="invalid_instrument")
    return validate(data)


def validate(data: dict) -> dict:
    check = _Checker()
    top = _("The instrument")
    result = {
        "code": check.code(top, data.get("code"), set()),
        "name": check.texts(_("Name"), data.get("name")),
        "intro": check.texts(_("Introduction"), data.get("intro"), required=False),
        "version": data.get("version", 1),
    }
    if not isinstance(result["version"], int) or isinstance(result["version"], bool) or result["version"] < 1:
        check.error(top, _("the version must be a whole number from 1 up."))
        result["version"] = 1
    share = data.get("max_missing_share", "0.34")
    try:
        result["max_missing_share"] = Decimal(str(share))
        if not 0 <= result["max_missing_share"] <= 1:
            raise InvalidOperation
    except InvalidOperation:
        check.error(top, _("max_missing_share must be a number from 0 to 1."))
        result["max_missing_share"] = Decimal("0.34")

    domains = data.get("domains", [])
    if not isinstance(domains, list):
        check.error(top, _("domains must be a list."))
        domains = []
    seen: set = set()
    result["domains"] = []
    for number, domain in enumerate(domains, start=1):
        where = _("Domain %(number)s") % {"number": number}
        if not isinstance(domain, dict):
            check.error(where, _("must be an object with a code and a name."))
            continue
        result["domains"].append(
            {"code": check.code(where, domain.get("code"), seen), "name": check.texts(where, domain.get("name"))}
        )
    domain_codes = {d["code"] for d in result["domains"]}

    items = data.get("items")
    if not isinstance(items, list) or not items:
        check.error(top, _("there are no questions (items)."))
        items = []
    seen = set()
    result["items"] = []
    domain_scales: dict[str, set] = {}
    for number, item in enumerate(items, start=1):
        where = _("Question %(number)s") % {"number": number}
        if not isinstance(item, dict):
            check.error(where, _("must be an object with a code, a kind and a text."))
            continue
        parsed = {
            "code": check.code(where, item.get("code"), seen),
            "text": check.texts(where, item.get("text")),
            "kind": item.get("kind"),
            "domain": item.get("domain"),
            "required": bool(item.get("required", False)),
            "reverse": bool(item.get("reverse", False)),
            "scale": None,
            "choices": [],
        }
        if parsed["domain"] is not None and parsed["domain"] not in domain_codes:
            check.error(where, _("the domain “%(code)s” is not in the list of domains.") % {"code": parsed["domain"]})
        if parsed["kind"] not in KINDS:
            check.error(where, _("the kind must be “scale”, “choice” or “text”."))
        elif parsed["kind"] == "scale":
            scale = item.get("scale") or {}
            low, high = scale.get("min"), scale.get("max")
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) or not (
                -100 <= low < high <= 100
            ):
                check.error(where, _("the scale needs a whole-number min smaller than its max (between -100 and 100)."))
                low, high = 0, 1
            parsed["scale"] = {
                "min": low,
                "max": high,
                "min_label": check.texts(where, scale.get("min_label")),
                "max_label": check.texts(where, scale.get("max_label")),
            }
            if parsed["domain"]:
                domain_scales.setdefault(parsed["domain"], set()).add((low, high))
        elif parsed["kind"] == "choice":
            choices = item.get("choices")
            if not isinstance(choices, list) or len(choices) < 2:
                check.error(where, _("a choice question needs at least two choices."))
                choices = []
            values: set = set()
            for choice in choices:
                if not isinstance(choice, dict) or not isinstance(choice.get("value"), str) or not choice["value"]:
                    check.error(where, _("each choice needs a value and a label."))
                    continue
                if choice["value"] in values:
                    check.error(where, _("the choice “%(code)s” is there twice.") % {"code": choice["value"]})
                values.add(choice["value"])
                parsed["choices"].append({"value": choice["value"], **check.texts(where, choice.get("label"))})
        if parsed["reverse"] and parsed["kind"] != "scale":
            check.error(where, _("only a scale question can be reverse-scored."))
        result["items"].append(parsed)
    for code, scales in domain_scales.items():
        if len(scales) > 1:
            check.error(
                _("Domain “%(code)s”") % {"code": code}, _("all its scale questions must use the same scale.")
            )

    scale_of = {code: next(iter(scales)) for code, scales in domain_scales.items()}
    all_scales = {(i["scale"]["min"], i["scale"]["max"]) for i in result["items"] if i["scale"]}
    bands = data.get("bands", [])
    if not isinstance(bands, list):
        check.error(top, _("bands must be a list."))
        bands = []
    result["bands"] = []
    ranges: dict = {}
    for number, band in enumerate(bands, start=1):
        where = _("Feedback band %(number)s") % {"number": number}
        if not isinstance(band, dict):
            check.error(where, _("must be an object with low, high and feedback."))
            continue
        domain = band.get("domain")
        if domain is not None and domain not in scale_of:
            check.error(where, _("the domain “%(code)s” has no scale questions.") % {"code": domain})
            continue
        scale = scale_of[domain] if domain else (next(iter(all_scales)) if len(all_scales) == 1 else None)
        if scale is None:
            check.error(where, _("feedback for the whole instrument needs all scale questions on one scale."))
            continue
        try:
            low, high = Decimal(str(band.get("low"))), Decimal(str(band.get("high")))
            if not low.is_finite() or not high.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            check.error(where, _("low and high must be numbers."))
            continue
        if not scale[0] <= low <= high <= scale[1]:
            check.error(
                where,
                _("low and high must be in order and within the scale %(min)s–%(max)s.")
                % {"min": scale[0], "max": scale[1]},
            )
        for other_low, other_high in ranges.get(domain, []):
            if low <= other_high and other_low <= high:
                check.error(where, _("it overlaps another band of the same domain."))
                break
        ranges.setdefault(domain, []).append((low, high))
        result["bands"].append({"domain": domain, "low": low, "high": high, "feedback": check.texts(where, band.get("feedback"))})

    if check.errors:
        error = ValidationError([ValidationError(e, code="invalid_instrument") for e in check.errors])
        error.code = "invalid_instrument"  # a list error has no code of its own; callers test for this one
        raise error
    return result
