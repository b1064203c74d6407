"""Seed the official calendar: 2026 as published by the State Council, 2027's fixed statutory days.

2026 (国务院办公厅关于2026年部分节假日安排的通知): days off and the weekend days worked in exchange.
2027: only the statutory holidays fixed on Gregorian dates (New Year's Day, 1–2 May, 1–3 October)
are certain before the State Council publishes the year's schedule; the lunar holidays and every
swapped working day (调休) must be entered in the admin when it is published.
"""

from datetime import date, timedelta

from django.db import migrations


def days(start: str, end: str | None = None):
    first = date.fromisoformat(start)
    last = date.fromisoformat(end or start)
    while first <= last:
        yield first
        first += timedelta(days=1)


OFF = [
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
    ("2027-01-01", None, "元旦"),
    ("2027-05-01", "2027-05-02", "劳动节"),
    ("2027-10-01", "2027-10-03", "国庆节"),
]
WORK = [
    ("2026-01-04", "元旦调休上班"),
    ("2026-02-14", "春节调休上班"),
    ("2026-02-28", "春节调休上班"),
    ("2026-05-09", "劳动节调休上班"),
    ("2026-09-20", "国庆节调休上班"),
    ("2026-10-10", "国庆节调休上班"),
]


def seed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    for start, end, name in OFF:
        for day in days(start, end):
            CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": False, "name": name})
    for day, name in WORK:
        CalendarDay.objects.update_or_create(
            date=date.fromisoformat(day), defaults={"is_workday": True, "name": name}
        )


def unseed(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    seeded = [d for start, end, _ in OFF for d in days(start, end)] + [date.fromisoformat(d) for d, _ in WORK]
    CalendarDay.objects.filter(date__in=seeded).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
