"""Demo step "place_and_duplicates": address-only reports placed from the registry, possible
duplicates, and one concentrated problem (集中突出) proposed to a community's branch.

In the first community of the demo street with compounds: two residents' reports with address text
only (one naming building and unit, matched to the unit; one naming only the compound, for the
dispatcher to pick the building), and six alike reports about parked cars blocking the fire lane of
one compound, which the cluster finder proposes to the community's branch.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.areas.models import Area, Compound, Household
from civicgrid.cases import services
from civicgrid.cases.models import Case, Category, ClusterProposal
from civicgrid.demo.registry import DemoContext, register_step

KEY = "demo-place-"
CLUSTER_TEXTS = [
    "晚上小区东门车辆乱停，消防通道被堵住了",
    "东门消防通道又被私家车堵住，救护车进不来",
    "东门口车辆乱停放，堵塞消防通道",
    "晚上东门乱停车，消防通道堵了好几天",
    "车辆乱停，东门消防通道被占用",
    "小区东门消防通道天天停满车",
]


def _community_with_compounds(street: Area) -> Area | None:
    ids = Compound.objects.filter(community__path__startswith=street.path).values_list(
        "community_id", flat=True
    )
    return Area.objects.filter(pk__in=ids).order_by("path").first()


def generate(ctx: DemoContext) -> None:
    from civicgrid.demo.steps.cases import demo_street

    street = demo_street()
    community = _community_with_compounds(street) if street else None
    if community is None:
        return
    rng = ctx.rng("place_and_duplicates")
    households = list(
        Household.objects.filter(path__startswith=community.path, unit__parent__compound__isnull=False)
        .select_related("unit__parent__compound")
        .order_by("id")[:400]
    )
    if len(households) < 10:
        return
    parking = Category.objects.filter(code="0403").first()
    with ctx.progress.phase(_("place and duplicates: address-only reports, a concentrated problem")) as phase:
        with transaction.atomic():
            h = rng.choice(households)
            building, unit = h.unit.parent, h.unit
            compound = building.compound.name
            number = building.name.removeprefix(compound)
            services.intake(
                channel="resident_app",
                description="楼道里的灯坏了，晚上很黑，老人上下楼不方便",
                address=f"{compound}{number.replace('幢', '栋')}{unit.name}{h.number}",
                area=community,
                client_key=f"{KEY}unit",
            )
            services.intake(
                channel="resident_app",
                description="小区里有一处井盖松动，踩上去会响",
                address=compound,
                area=community,
                client_key=f"{KEY}compound",
            )
            phase.add(_("address-only reports"), 2)
            home = rng.choice(households).unit
            for i, text in enumerate(CLUSTER_TEXTS):
                services.intake(
                    channel="resident_app",
                    description=text,
                    category=parking,
                    unit=home if i % 2 == 0 else rng.choice(households).unit,
                    client_key=f"{KEY}cluster-{i}",
                )
            phase.add(_("cases"), len(CLUSTER_TEXTS))
        made = services.propose_clusters(community=community)
        phase.add(_("concentrated-problem proposals"), len(made))
        from civicgrid.core import outbox

        outbox.drain(max_rounds=10)


def cleanup(ctx: DemoContext) -> None:
    with transaction.atomic():
        ClusterProposal.objects.all().delete()
        made = Case.objects.filter(client_key__startswith=f"resident_app:{KEY}")
        Case.objects.filter(merged_into__in=made).update(merged_into=None)
        made.delete()


register_step("place_and_duplicates", generate, cleanup, order=120)
