"""Who may do what in fieldwork, as a grid of role × scope × action."""

from datetime import date

import pytest

from civicgrid.fieldwork import policy, services

pytestmark = pytest.mark.django_db

PERSONAS = [
    "grid_worker", "other_grid_worker", "community_staff", "secretary", "dispatcher", "supervisor",
    "leader", "steward", "building_leader", "handler", "resident_user", "outsider", "admin",
]  # fmt: skip

# action → the personas allowed (everyone else is refused)
GRID = {
    "record a visit in grid 1": {"grid_worker"},
    "list grid 1's households": {"grid_worker"},
    "read a diary entry's text": {"grid_worker"},
    "unmask a diary entry": {"community_staff"},
    "see the community's diary counts": {"community_staff", "secretary", "admin"},
    "set the community's quotas": {"community_staff", "admin"},
    "see grid 1's progress": {
        "grid_worker",
        "community_staff",
        "secretary",
        "dispatcher",
        "supervisor",
        "leader",
        "admin",
    },
    "work an errand of grid 1": {"grid_worker", "community_staff"},
}


@pytest.fixture
def world(people, homes, city, wednesday):
    entry = services.write_diary(
        people.grid_worker, day=date(2026, 3, 11), text="走访王阿姨", households=[homes.alone]
    ).row
    errand = services.create_errand(
        people.grid_worker, household=homes.alone, request="代办高龄津贴", consent_way="phone"
    ).row
    return {"entry": entry, "errand": errand, "homes": homes, "city": city}


def allowed(action: str, user, w) -> bool:
    city, homes = w["city"], w["homes"]
    return {
        "record a visit in grid 1": lambda: policy.can_record(user, homes.alone),
        "list grid 1's households": lambda: (
            policy.visible_households(user).filter(pk=homes.alone.pk).exists()
        ),
        "read a diary entry's text": lambda: policy.can_read_diary(user, w["entry"]),
        "unmask a diary entry": lambda: policy.can_unmask_diary(user, w["entry"]),
        "see the community's diary counts": lambda: policy.can_see_diary_counts(user, city.community),
        "set the community's quotas": lambda: policy.can_set_quota(user, city.community),
        "see grid 1's progress": lambda: policy.can_view_progress(user, city.grid),
        "work an errand of grid 1": lambda: policy.can_work_errand(user, w["errand"]),
    }[action]()


@pytest.mark.parametrize("action", list(GRID))
def test_each_action_is_allowed_to_exactly_the_listed_roles(world, people, action):
    got = {name for name in PERSONAS if allowed(action, getattr(people, name), world)}
    assert got == GRID[action]


def test_the_other_grids_worker_sees_none_of_grid_1s_households(world, people):
    assert not policy.visible_households(people.other_grid_worker).filter(grid=world["city"].grid).exists()


def test_a_grid_worker_cannot_set_quotas_even_in_their_own_community(world, people):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.set_quota(
            people.grid_worker, world["city"].community, household_type="general", period="month", visits=1
        )


def test_quotas_are_set_on_communities_only(world, people):
    assert not policy.can_set_quota(people.admin, world["city"].grid)
