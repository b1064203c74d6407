"""Load the built-in procedures (六步议事, 四议两公开) from the registry in procedures.py."""

from django.db import migrations


def load(apps, schema_editor):
    from civicgrid.deliberation.procedures import sync_builtin

    sync_builtin(apps.get_model("deliberation", "Procedure"), apps.get_model("deliberation", "ProcedureStep"))


class Migration(migrations.Migration):
    dependencies = [("deliberation", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
