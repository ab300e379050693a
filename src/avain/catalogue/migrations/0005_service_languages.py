"""The languages services are given in. Finnish and Swedish first (the national languages), then the sign languages
and Sámi, then the languages most spoken in Finland after them."""

from django.db import migrations

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


def add_languages(apps, schema_editor):
    ServiceLanguage = apps.get_model("catalogue", "ServiceLanguage")
    for position, (code, name_fi, name_sv, name_en) in enumerate(LANGUAGES):
        ServiceLanguage.objects.update_or_create(
            code=code, defaults={"name_fi": name_fi, "name_sv": name_sv, "name_en": name_en, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0004_providers_and_products")]

    operations = [migrations.RunPython(add_languages, migrations.RunPython.noop)]
