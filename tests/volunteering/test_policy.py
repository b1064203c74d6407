"""Who may do what in volunteering: role × scope × action."""

import pytest

from civicgrid.volunteering import policy

# (persona, action, area attribute, allowed)
GRID = [
    ("community_staff", "manage", "community", True),
    ("community_staff", "manage", "community2", False),
    ("secretary", "manage", "community", False),
    ("secretary", "organise", "grid", True),
    ("grid_worker", "organise", "grid", True),
    ("grid_worker", "organise", "grid2", False),
    ("leader", "organise", "grid", False),
    ("leader", "figures", "community", True),
    ("dispatcher", "figures", "community2", True),
    ("resident_user", "organise", "grid", False),
    ("resident_user", "figures", "community", False),
    ("outsider", "figures", "community", False),
    ("admin", "manage", "community2", True),
]


@pytest.mark.parametrize("persona,action,area,allowed", GRID)
def test_policy_grid(people, city, persona, action, area, allowed):
    user, place = getattr(people, persona), getattr(city, area)
    decide = {
        "manage": policy.can_manage,
        "organise": policy.can_organise,
        "figures": policy.can_view_figures,
    }[action]
    assert decide(user, place) is allowed


def test_only_people_with_a_resident_record_sign_up(people):
    assert policy.can_sign_up(people.resident_user)
    assert not policy.can_sign_up(people.dispatcher)
