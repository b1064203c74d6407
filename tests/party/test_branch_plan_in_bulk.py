"""The demo city's bulk loader plans branches with the same 三有 rule as `propose_branches`:
`plan_branches_in_bulk`, given the facts of a community's compounds, returns the groups
`propose_branches` proposes for it (no second copy of the rule anywhere)."""

from collections import defaultdict

import pytest

from civicgrid.areas.models import Area, Level
from civicgrid.party.services import (
    CompoundFacts,
    assess_compounds,
    plan_branches_in_bulk,
    propose_branches,
)


def facts_of(community) -> list[CompoundFacts]:
    grids, points = defaultdict(set), defaultdict(list)
    for compound_id, grid_id, lng, lat in Area.objects.filter(
        level=Level.BUILDING, compound__community=community
    ).values_list("compound_id", "parent_id", "lng", "lat"):
        grids[compound_id].add(grid_id)
        if lng is not None:
            points[compound_id].append((lng, lat))
    return [
        CompoundFacts(
            pk=a.compound.pk,
            name=a.compound.name,
            has_property_management=a.has_property_management,
            has_fence=a.has_fence,
            party_members=a.party_members,
            grid_ids=frozenset(grids[a.compound.pk]),
            points=tuple(points[a.compound.pk]),
        )
        for a in assess_compounds(community)
    ]


def proposed_groups(community) -> list[list[int]]:
    return [[a.compound.pk for a in p.compounds] for p in propose_branches(community)]


LAYOUTS = {
    "one three-have compound": [dict(name="翠苑", pm=True, fence=True, members=3, at=(120.105, 30.205))],
    "neighbouring three-lack compounds": [
        dict(name="老宿舍", pm=True, members=2, at=(120.108, 30.208)),
        dict(name="新村", members=1, at=(120.109, 30.208)),
    ],
    "same grid, far apart or unlocated": [
        dict(name="北区", members=2, at=(120.101, 30.201)),
        dict(name="南区", members=1, at=(120.109, 30.209)),
        dict(name="无坐标楼", members=1),
    ],
    "a lone three-lack compound joins the nearest": [
        dict(name="翠苑", pm=True, fence=True, members=3, at=(120.105, 30.205)),
        dict(name="远苑", pm=True, fence=True, members=4, at=(120.101, 30.201)),
        dict(name="孤楼", members=1, at=(120.115, 30.205), grid="x"),
    ],
    "too few members together join the nearest branch": [
        dict(name="翠苑", pm=True, fence=True, members=3, at=(120.109, 30.205)),
        dict(name="东一", members=1, at=(120.115, 30.205), grid="x"),
        dict(name="东二", members=1, at=(120.116, 30.205), grid="x"),
    ],
    "joint branches stay within fifty members": [
        dict(name=f"楼{i}", members=20, others=0, at=(120.101 + i * 0.0005, 30.205)) for i in range(4)
    ],
}


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_bulk_plan_gives_the_groups_propose_branches_gives(city, compounds, layout):
    for spec in LAYOUTS[layout]:
        spec = dict(spec)
        if spec.pop("grid", None) == "x":
            spec["grid"] = city.grid_x
        compounds.add(spec.pop("name"), **spec)
    expected = proposed_groups(city.community)
    assert expected  # every layout proposes something
    assert plan_branches_in_bulk(facts_of(city.community)) == expected


def test_bulk_plan_needs_no_query(city, compounds, django_assert_num_queries):
    compounds.add("老宿舍", pm=True, members=2, at=(120.108, 30.208))
    compounds.add("新村", members=1, at=(120.109, 30.208))
    facts = facts_of(city.community)
    with django_assert_num_queries(0):
        groups = plan_branches_in_bulk(facts)
    assert [sorted(g) for g in groups] == [sorted(f.pk for f in facts)]
