"""The five town types one city ranks its towns and streets by (frozen here, not imported)."""

from django.db import migrations

TOWN_TYPES = [
    ("mountain-township", "山区乡镇", "mountain township", 1),
    ("market-town", "集镇", "market town", 2),
    ("county-seat", "县城街道", "county seat", 3),
    ("suburban", "城郊街道", "suburban", 4),
    ("main-urban", "主城街道", "main urban", 5),
]


def add(apps, schema_editor):
    PeerGroup = apps.get_model("indices", "PeerGroup")
    for code, name, name_en, order in TOWN_TYPES:
        PeerGroup.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "level": "street", "order": order}
        )


def remove(apps, schema_editor):
    apps.get_model("indices", "PeerGroup").objects.filter(code__in=[t[0] for t in TOWN_TYPES]).delete()


class Migration(migrations.Migration):
    dependencies = [("indices", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
