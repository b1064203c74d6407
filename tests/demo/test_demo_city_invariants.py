"""The generated city holds together: every household in one grid, grids near 300 households,
shapes that tile their parents, codes in the national pattern, plausible people."""

import re
from collections import Counter

import pytest
import shapely
from shapely.geometry import shape

from civicgrid.areas.models import Area, Compound, GridKind, Household, Level
from civicgrid.demo.names import id_check_digit
from civicgrid.party.models import OrgLevel, PartyMembership, PartyOrganization
from civicgrid.people.models import Department, Resident

from .conftest import run_demo

CODE_PATTERNS = {
    Level.CITY: r"\d{6}",
    Level.DISTRICT: r"\d{6}",
    Level.STREET: r"\d{9}",
    Level.COMMUNITY: r"\d{12}",
    Level.GRID: r"\d{15}",
    Level.BUILDING: r"\d{15}B\d{2}",
    Level.UNIT: r"\d{15}B\d{2}U\d",
}


def test_every_household_lies_in_exactly_one_grid_through_its_unit_and_building(tiny_city):
    areas = {a.pk: a for a in Area.objects.all()}
    households = list(Household.objects.all())
    assert households
    for household in households:
        unit = areas[household.unit_id]
        building = areas[unit.parent_id]
        grid = areas[building.parent_id]
        assert (unit.level, building.level, grid.level) == (Level.UNIT, Level.BUILDING, Level.GRID)
        assert household.grid_id == grid.pk
        assert household.path == unit.path and household.path.startswith(grid.path)
    assert len({h.pk for h in households}) == len(households)


def test_every_building_point_lies_inside_its_grid_polygon(tiny_city):
    grids = {g.pk: shape(g.shape) for g in Area.objects.filter(level=Level.GRID)}
    buildings = list(Area.objects.filter(level=Level.BUILDING))
    assert buildings
    for building in buildings:
        assert grids[building.parent_id].contains(shapely.Point(building.lng, building.lat)), building.code


def test_grids_hold_about_300_households_and_their_counts_match_the_rows(tiny_city):
    counted = Counter(Household.objects.values_list("grid_id", flat=True))
    grids = list(Area.objects.filter(level=Level.GRID))
    assert {g.kind for g in grids} == {GridKind.RESIDENTIAL, GridKind.COMMERCIAL}
    for grid in grids:
        assert grid.households_count == counted[grid.pk]
        if grid.kind == GridKind.RESIDENTIAL:
            assert 200 <= grid.households_count <= 400
        else:
            assert 100 <= grid.households_count <= 400


def test_codes_follow_the_national_grid_pattern_and_extend_their_parents(tiny_city):
    areas = {a.pk: a for a in Area.objects.all()}
    for area in areas.values():
        assert re.fullmatch(CODE_PATTERNS[area.level], area.code), area.code
        if area.parent_id and area.level not in (Level.DISTRICT,):
            assert area.code.startswith(areas[area.parent_id].code)
        assert area.path == (areas[area.parent_id].path if area.parent_id else "") + area.code + "/"


def test_shapes_are_valid_and_children_tile_their_parent(tiny_city):
    polygons = {a.pk: (a, shape(a.shape)) for a in Area.objects.exclude(shape=None)}
    for pk, (area, polygon) in polygons.items():
        assert polygon.is_valid, area.code
        assert 120.0 < polygon.centroid.x < 120.3 and 30.1 < polygon.centroid.y < 30.4
        children = [p for a, p in polygons.values() if a.parent_id == pk]
        if not children:
            continue
        union = shapely.union_all(children)
        assert abs(union.area - polygon.area) < 1e-12
        assert abs(sum(c.area for c in children) - polygon.area) < 1e-12  # no overlaps, no gaps


def test_residents_look_real_but_are_synthetic_and_5_to_8_percent_are_party_members(tiny_city):
    residents = list(Resident.objects.all())
    assert len(residents) > 2 * Household.objects.filter(grid__kind=GridKind.RESIDENTIAL).count()
    for r in residents[:500]:
        assert 2 <= len(r.name) <= 4
        assert r.gender in ("M", "F")
        assert (
            re.fullmatch(r"\d{17}[\dX]", r.id_number) and id_check_digit(r.id_number[:17]) == r.id_number[-1]
        )
        assert r.id_number[6:10] == str(r.birth_year)
        assert int(r.id_number[16]) % 2 == (1 if r.gender == "M" else 0)
        assert r.phone == "" or re.fullmatch(r"1[3-9]\d{9}", r.phone)
    share = sum(r.is_party_member for r in residents) / len(residents)
    assert 0.05 <= share <= 0.08


def test_compounds_vary_so_the_three_haves_rule_gives_own_and_joint_branches(tiny_city):
    flags = set(Compound.objects.values_list("has_property_management", "has_fence"))
    assert (True, True) in flags and len(flags) > 1
    branches = PartyOrganization.objects.filter(level=OrgLevel.BRANCH).prefetch_related("compounds")
    assert {b.is_joint for b in branches} == {True, False}
    for branch in branches:
        compounds = list(branch.compounds.all())
        assert branch.is_joint == (len(compounds) > 1)
        if not branch.is_joint:
            (compound,) = compounds
            members = Resident.objects.filter(
                is_party_member=True, household__unit__parent__compound=compound
            ).count()
            assert compound.has_property_management and compound.has_fence and members >= 3
    # every compound belongs to exactly one branch
    assert sorted(
        PartyOrganization.compounds.through.objects.values_list("compound_id", flat=True)
    ) == sorted(Compound.objects.values_list("pk", flat=True))


def test_party_tree_runs_street_to_building_groups_and_every_member_is_in_a_branch(tiny_city):
    orgs = {o.pk: o for o in PartyOrganization.objects.all()}
    expected_parent = {
        OrgLevel.STREET_COMMITTEE: None,
        OrgLevel.COMMUNITY_COMMITTEE: OrgLevel.STREET_COMMITTEE,
        OrgLevel.BRANCH: OrgLevel.COMMUNITY_COMMITTEE,
        OrgLevel.BUILDING_GROUP: OrgLevel.BRANCH,
    }
    assert {o.level for o in orgs.values()} == set(expected_parent)
    for org in orgs.values():
        parent = orgs.get(org.parent_id)
        assert (parent.level if parent else None) == expected_parent[org.level]
    in_branch = set(
        PartyMembership.objects.filter(organization__level=OrgLevel.BRANCH).values_list(
            "resident_id", flat=True
        )
    )
    members = set(Resident.objects.filter(is_party_member=True).values_list("pk", flat=True))
    assert in_branch == members


def test_departments_serve_the_street_and_the_district(tiny_city):
    street = Area.objects.get(level=Level.STREET)
    names = set(Department.objects.filter(area=street).values_list("name", flat=True))
    assert any("城管执法中队" in n for n in names) and any("派出所" in n for n in names)
    assert len(names) >= 12
    assert Department.objects.filter(area__level=Level.DISTRICT).exists()
    assert all(d.served_areas.filter(pk=d.area_id).exists() for d in Department.objects.all())


@pytest.mark.parametrize("seed", [1, 2])
def test_the_same_seed_gives_the_same_city(db, seed):
    def snapshot():
        return (
            list(Area.objects.order_by("code").values_list("code", "name", "households_count")),
            list(Resident.objects.order_by("path", "name", "id_number").values_list("name", "id_number")),
        )

    run_demo(scale="tiny", seed=seed)
    first = snapshot()
    run_demo(scale="tiny", seed=seed, rebuild=True)
    assert snapshot() == first
    run_demo(scale="tiny", seed=seed + 10, rebuild=True)
    assert snapshot() != first


def test_small_scale_is_one_street_of_eight_communities_forty_grids_and_twelve_thousand_households(db):
    run_demo(scale="small")
    assert Area.objects.filter(level=Level.STREET).count() == 1
    assert Area.objects.filter(level=Level.COMMUNITY).count() == 8
    grids = Area.objects.filter(level=Level.GRID)
    assert grids.count() == 40
    assert 3 <= grids.filter(kind=GridKind.COMMERCIAL).count() <= 6
    assert 11_000 <= Household.objects.count() <= 13_000
    for count in grids.filter(kind=GridKind.RESIDENTIAL).values_list("households_count", flat=True):
        assert 200 <= count <= 400


def test_branches_agree_with_the_party_services_reading_of_the_three_haves_rule(tiny_city):
    from civicgrid.party.services import MIN_MEMBERS, assess_compound

    for branch in PartyOrganization.objects.filter(level=OrgLevel.BRANCH).prefetch_related("compounds"):
        assessments = [assess_compound(c) for c in branch.compounds.all()]
        if not branch.is_joint:
            assert assessments[0].qualifies
        assert sum(a.party_members for a in assessments) >= MIN_MEMBERS
    for compound in Compound.objects.all():
        if not assess_compound(compound).qualifies:
            assert compound.branches.get().is_joint
