"""The languages services are given in: Finnish and Swedish first (the national languages), then the sign languages
and Sámi, then the languages most spoken in Finland after them.

They are data (:class:`avain.catalogue.models.ServiceLanguage`) so that an organiser's new language needs no code;
migration 0005 adds these, and :func:`ensure_service_languages` adds back any that are missing (the demo loader and
the test factories call it, because tests that empty the database also empty this table).
"""

LANGUAGES = [
    ("fi", "suomi", "finska", "Finnish"),
    ("sv", "ruotsi", "svenska", "Swedish"),
    ("fse", "suomalainen viittomakieli", "finskt teckenspråk", "Finnish Sign Language"),
    ("fss", "suomenruotsalainen viittomakieli", "finlandssvenskt teckenspråk", "Finland-Swedish Sign Language"),
    ("se", "pohjoissaame", "nordsamiska", "Northern Sámi"),
    ("smn", "inarinsaame", "enaresamiska", "Inari Sámi"),
    ("sms", "koltansaame", "skoltsamiska", "Skolt Sámi"),
    ("en", "englanti", "engelska", "English"),
    ("ru", "venäjä", "ryska", "Russian"),
    ("et", "viro", "estniska", "Estonian"),
    ("ar", "arabia", "arabiska", "Arabic"),
    ("uk", "ukraina", "ukrainska", "Ukrainian"),
    ("so", "somali", "somaliska", "Somali"),
    ("fa", "persia", "persiska", "Persian"),
    ("ku", "kurdi", "kurdiska", "Kurdish"),
    ("zh", "kiina", "kinesiska", "Chinese"),
    ("sq", "albania", "albanska", "Albanian"),
    ("vi", "vietnam", "vietnamesiska", "Vietnamese"),
    ("th", "thai", "thailändska", "Thai"),
    ("tr", "turkki", "turkiska", "Turkish"),
    ("es", "espanja", "spanska", "Spanish"),
    ("de", "saksa", "tyska", "German"),
    ("fr", "ranska", "franska", "French"),
]


def ensure_service_languages(model=None) -> None:
    """Add the languages above that are missing; never changes or removes one an organiser has edited."""
    if model is None:
        from .models import ServiceLanguage as model
    existing = set(model.objects.values_list("code", flat=True))
    model.objects.bulk_create(
        model(code=code, name_fi=fi, name_sv=sv, name_en=en, position=position)
        for position, (code, fi, sv, en) in enumerate(LANGUAGES)
        if code not in existing
    )
