"""Rollup grains (decision 0060): grids get one total row a month (GridRollup) instead of category and
department rows. The data step converts the rows already there, exactly: a grid's total for a month is
the sum of its category rows (every case has one top category); then the grids' category and
department rows go. Going back, the old grid rows cannot be recovered from the totals: run
`civicgrid rebuild_rollups` with the old code after reversing (the reverse step only empties
GridRollup).
"""

import django.db.models.deletion
from django.db import migrations, models

COUNTERS = (
    "reported", "not_accepted", "merged", "settled_on_spot", "responded", "responded_on_time", "closed",
    "closed_on_time", "closed_reworked", "closed_unsatisfied", "overdue_open", "on_hold", "rated",
    "satisfied", "basically", "unsatisfied", "close_seconds",
)  # fmt: skip


def convert_grid_rows(apps, schema_editor):
    q = schema_editor.quote_name
    area = q(apps.get_model("areas", "Area")._meta.db_table)
    grid = q(apps.get_model("cases", "GridRollup")._meta.db_table)
    cols = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM(r.{c})" for c in COUNTERS)
    grids = f"SELECT id FROM {area} WHERE level = 'grid'"
    with schema_editor.connection.cursor() as cursor:
        category = q(apps.get_model("cases", "CategoryRollup")._meta.db_table)
        cursor.execute(
            f"INSERT INTO {grid} (month, area_id, jurisdiction, {cols}) "
            f"SELECT r.month, r.area_id, MAX(r.jurisdiction), {sums} FROM {category} r "
            f"WHERE r.area_id IN ({grids}) GROUP BY r.month, r.area_id"
        )
        for name in ("CategoryRollup", "DepartmentRollup"):
            table = q(apps.get_model("cases", name)._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE area_id IN ({grids})")


def empty_grid_rows(apps, schema_editor):
    apps.get_model("cases", "GridRollup").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("cases", "0010_case_updated_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="GridRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("jurisdiction", models.CharField(db_index=True, max_length=12, verbose_name="jurisdiction")),
                ("month", models.DateField(verbose_name="month")),
                ("reported", models.IntegerField(default=0)),
                ("not_accepted", models.IntegerField(default=0)),
                ("merged", models.IntegerField(default=0)),
                ("settled_on_spot", models.IntegerField(default=0)),
                ("responded", models.IntegerField(default=0)),
                ("responded_on_time", models.IntegerField(default=0)),
                ("closed", models.IntegerField(default=0)),
                ("closed_on_time", models.IntegerField(default=0)),
                ("closed_reworked", models.IntegerField(default=0)),
                ("closed_unsatisfied", models.IntegerField(default=0)),
                ("overdue_open", models.IntegerField(default=0)),
                ("on_hold", models.IntegerField(default=0)),
                ("rated", models.IntegerField(default=0)),
                ("satisfied", models.IntegerField(default=0)),
                ("basically", models.IntegerField(default=0)),
                ("unsatisfied", models.IntegerField(default=0)),
                ("close_seconds", models.BigIntegerField(default=0)),
                (
                    "area",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.area",
                        verbose_name="area",
                    ),
                ),
            ],
            options={
                "verbose_name": "grid rollup",
                "verbose_name_plural": "grid rollups",
                "indexes": [models.Index(fields=["month"], name="grid_rollup_month")],
                "constraints": [
                    models.UniqueConstraint(fields=("area", "month", "jurisdiction"), name="grid_rollup_key")
                ],
            },
        ),
        migrations.RunPython(convert_grid_rows, empty_grid_rows, elidable=True),
    ]
