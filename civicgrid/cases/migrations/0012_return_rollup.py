"""Returns (退单) rolled up by month of the return, area (city down to community) and the department that
returned the case, for the command centre's league (cases/rollups.py, "Returns"). The data step counts
the returns already in the history, with the same rule as the rebuild: the month of the return in local
time, each area of the case's path above the grids, the department named in the history row."""

from collections import defaultdict
from datetime import date

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

SPLIT_LEVELS = ("city", "district", "street", "community")


def count_returns(apps, schema_editor):
    Area = apps.get_model("areas", "Area")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    Department = apps.get_model("people", "Department")
    ReturnRollup = apps.get_model("cases", "ReturnRollup")
    areas = {
        code: (pk, jurisdiction)
        for code, pk, jurisdiction in Area.objects.filter(level__in=SPLIT_LEVELS).values_list(
            "code", "id", "jurisdiction"
        )
    }
    departments = set(Department.objects.values_list("id", flat=True))
    rows: dict[tuple, int] = defaultdict(int)
    found = (
        CaseEvent.objects.filter(action="return_to_dispatcher")
        .order_by()
        .values_list("at", "data", "case__path")
        .iterator(chunk_size=5000)
    )
    for at, data, path in found:
        department_id = (data or {}).get("department")
        if department_id not in departments:
            continue
        local = timezone.localtime(at)
        month = date(local.year, local.month, 1)
        for code in path.split("/"):
            if code in areas:
                rows[(month, *areas[code], department_id)] += 1
    ReturnRollup.objects.bulk_create(
        [
            ReturnRollup(month=m, area_id=a, jurisdiction=j, department_id=d, returns=n)
            for (m, a, j, d), n in rows.items()
        ],
        batch_size=2000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0001_initial"),
        ("cases", "0011_rollup_grains"),
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReturnRollup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("jurisdiction", models.CharField(db_index=True, max_length=12, verbose_name="jurisdiction")),
                ("month", models.DateField(verbose_name="month")),
                ("returns", models.IntegerField(default=0, verbose_name="returns")),
                (
                    "area",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="areas.area",
                        verbose_name="area",
                    ),
                ),
                (
                    "department",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="people.department",
                        verbose_name="department",
                    ),
                ),
            ],
            options={
                "verbose_name": "returns rollup",
                "verbose_name_plural": "returns rollups",
                "indexes": [models.Index(fields=["month"], name="return_rollup_month")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("area", "month", "department", "jurisdiction"), name="return_rollup_key"
                    )
                ],
            },
        ),
        migrations.RunPython(count_returns, migrations.RunPython.noop),
    ]
