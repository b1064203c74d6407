"""The 三有 rule: property management, a fence and at least three resident Party members."""

import pytest
from django.utils import translation

from civicgrid.party.models import OrgLevel, PartyOrganization
from civicgrid.party.services import (
    MIN_MEMBERS,
    assess_compound,
    assess_compounds,
    create_organization,
    party_member_count,
)
from civicgrid.people.services import create_resident


@pytest.mark.parametrize(
    "pm, fence, members, conditions, qualifies",
    [
        (False, False, 0, 0, False),
        (True, False, 0, 1, False),
        (False, False, 3, 1, False),
        (True, True, 0, 2, False),
        (True, True, 2, 2, False),  # two members are not enough
        (False, True, 3, 2, False),
        (True, False, 5, 2, False),
        (True, True, 3, 3, True),  # 三有
        (True, True, 7, 3, True),
    ],
)
def test_a_compound_qualifies_for_its_own_branch_only_with_all_three(
    compounds, pm, fence, members, conditions, qualifies
):
    assessment = assess_compound(compounds.add("翠苑", pm=pm, fence=fence, members=members, others=2))
    assert assessment.party_members == members
    assert assessment.conditions_met == conditions
    assert assessment.qualifies is qualifies
    assert len(assessment.missing) == 3 - conditions


def test_missing_conditions_are_named(compounds):
    assessment = assess_compound(compounds.add("老宿舍", pm=False, fence=True, members=2))
    assert assessment.missing == ["无物业管理", f"居住党员不足{MIN_MEMBERS}名"]
    with translation.override("en"):
        assert assessment.missing == [
            "no property management",
            f"fewer than {MIN_MEMBERS} resident Party members",
        ]


def test_members_registered_with_an_organisation_count_even_without_the_flag(city, compounds):
    compound = compounds.add("翠苑", pm=True, fence=True, members=2)
    street = create_organization(level=OrgLevel.STREET_COMMITTEE, name="北山街道党工委", area=city.street)
    household = compound.buildings.get().children.get().households.first()
    registered = create_resident(household=household, name="报到党员", is_party_member=False)
    registered.party_memberships.create(organization=street, jurisdiction=street.jurisdiction)
    both = create_resident(household=household, name="双重记录", is_party_member=True)
    both.party_memberships.create(organization=street, jurisdiction=street.jurisdiction)
    assert party_member_count(compound) == 4  # counted once each
    assert assess_compound(compound).qualifies


def test_only_residents_of_the_compounds_own_buildings_count(city, compounds):
    compounds.add("翠苑", members=5)
    other = compounds.add("新村", members=1)
    create_resident(household=city.household, name="别处党员", is_party_member=True)  # not in a compound
    assert party_member_count(other) == 1


def test_assessing_a_whole_community_agrees_with_one_by_one(city, compounds):
    compounds.add("翠苑", pm=True, fence=True, members=3)
    compounds.add("老宿舍", members=1)
    compounds.add("新村", fence=True, members=4, grid=city.grid_x)
    compounds.add("葛岭小区", members=3, grid=city.grid2)  # another community
    together = assess_compounds(city.community)
    assert sorted(a.compound.name for a in together) == sorted(["新村", "翠苑", "老宿舍"])
    for a in together:
        alone = assess_compound(a.compound)
        assert (a.party_members, a.qualifies) == (alone.party_members, alone.qualifies)
    assert PartyOrganization.objects.count() == 0
