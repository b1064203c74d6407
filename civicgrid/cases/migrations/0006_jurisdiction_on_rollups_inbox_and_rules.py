"""The jurisdiction (tenant key, the future Citus distribution column) on the rollup rows, inbox
messages and dispatch rules. Rollup rows and dispatch rules take their area's (a city's row the
city's code), inbox messages their case's. The rollups' unique keys include it, as Citus requires of
the distribution column; the rebuild replaces a month at a time, so `month` gets an index."""

from django.db import migrations, models
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Area = apps.get_model("areas", "Area")
    Case = apps.get_model("cases", "Case")
    of_area = models.Subquery(Area.objects.filter(pk=models.OuterRef("area_id")).values("jurisdiction")[:1])
    for name in ("CategoryRollup", "DepartmentRollup", "DispatchRule"):
        apps.get_model("cases", name).objects.update(jurisdiction=of_area)
    of_case = models.Subquery(Case.objects.filter(pk=models.OuterRef("case_id")).values("jurisdiction")[:1])
    apps.get_model("cases", "InboxMessage").objects.update(jurisdiction=Coalesce(of_case, models.Value("")))


def field(**kwargs):
    return models.CharField(db_index=True, default="", max_length=12, verbose_name="jurisdiction", **kwargs)


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("cases", "0005_jurisdiction_on_case_rows"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="categoryrollup", name="category_rollup_key"),
        migrations.RemoveConstraint(model_name="departmentrollup", name="department_rollup_key"),
        migrations.AddField(
            model_name="categoryrollup", name="jurisdiction", field=field(), preserve_default=False
        ),
        migrations.AddField(
            model_name="departmentrollup", name="jurisdiction", field=field(), preserve_default=False
        ),
        migrations.AddField(
            model_name="dispatchrule",
            name="jurisdiction",
            field=field(editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="inboxmessage",
            name="jurisdiction",
            field=field(editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="categoryrollup",
            index=models.Index(fields=["month"], name="category_rollup_month"),
        ),
        migrations.AddIndex(
            model_name="departmentrollup",
            index=models.Index(fields=["month"], name="department_rollup_month"),
        ),
        migrations.AddConstraint(
            model_name="categoryrollup",
            constraint=models.UniqueConstraint(
                fields=("area", "month", "category", "jurisdiction"), name="category_rollup_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="departmentrollup",
            constraint=models.UniqueConstraint(
                fields=("area", "month", "department", "jurisdiction"), name="department_rollup_key"
            ),
        ),
    ]
