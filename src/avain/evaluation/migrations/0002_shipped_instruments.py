from types import SimpleNamespace

from django.db import migrations


def install(apps, schema_editor):
    # The loader takes the model classes, so it installs with this migration's historical models. Should the loader
    # one day write a field that a later migration adds, this migration must keep a frozen copy of today's loader.
    from avain.evaluation.services import load_instruments

    load_instruments(
        SimpleNamespace(
            Instrument=apps.get_model("evaluation", "Instrument"),
            Domain=apps.get_model("evaluation", "Domain"),
            Item=apps.get_model("evaluation", "Item"),
            ScoreBand=apps.get_model("evaluation", "ScoreBand"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
