"""The languages services are given in (see avain.catalogue.languages)."""

from django.db import migrations


def add_languages(apps, schema_editor):
    from avain.catalogue.languages import ensure_service_languages

    ensure_service_languages(apps.get_model("catalogue", "ServiceLanguage"))


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0004_providers_and_products")]

    operations = [migrations.RunPython(add_languages, migrations.RunPython.noop)]
