"""The case's jurisdiction (tenant key) on its history, photos, extension requests and supervision
orders, so that they can be distributed with their case (Citus); existing rows take their case's."""

from django.db import migrations, models


def copy_from_case(apps, schema_editor):
    for name in ("CaseEvent", "Attachment", "ExtensionRequest", "SupervisionOrder"):
        model = apps.get_model("cases", name)
        Case = apps.get_model("cases", "Case")
        model.objects.update(
            jurisdiction=models.Subquery(Case.objects.filter(pk=models.OuterRef("case_id")).values("jurisdiction")[:1])
        )


def field():
    return models.CharField(db_index=True, default="", max_length=12, verbose_name="jurisdiction")


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_leaner_indexes")]

    operations = [
        migrations.AddField(model_name="caseevent", name="jurisdiction", field=field(), preserve_default=False),
        migrations.AddField(model_name="attachment", name="jurisdiction", field=field(), preserve_default=False),
        migrations.AddField(model_name="extensionrequest", name="jurisdiction", field=field(), preserve_default=False),
        migrations.AddField(model_name="supervisionorder", name="jurisdiction", field=field(), preserve_default=False),
        migrations.RunPython(copy_from_case, migrations.RunPython.noop),
    ]
