"""Extra questions for some categories (cases/seed.py QUESTIONS), shown in Open311 service definitions."""

from django.db import migrations


def add_questions(apps, schema_editor):
    from civicgrid.cases.seed import QUESTIONS

    Category = apps.get_model("cases", "Category")
    for code, questions in QUESTIONS.items():
        Category.objects.filter(code=code, questions=[]).update(questions=questions)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_seed_categories")]

    operations = [migrations.RunPython(add_questions, migrations.RunPython.noop)]
