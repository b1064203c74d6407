"""Seed the 22 top categories of grid events and their sub-categories (cases/seed.py)."""

from django.db import migrations


def seed(apps, schema_editor):
    from civicgrid.cases.seed import seed_categories

    seed_categories(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
