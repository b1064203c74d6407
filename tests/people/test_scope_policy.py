"""Permission scoping as a grid of role × scope."""

import pytest

from civicgrid.people import policy


@pytest.mark.parametrize(
    "persona, area, may_view, may_see_detail, may_unmask",
    [
        ("grid_worker", "grid", True, True, True),
        ("grid_worker", "grid2", False, False, False),
        ("grid_worker", "street", True, False, False),  # an ancestor: walk the tree down
        ("grid_worker", "unit", True, True, True),
        ("other_grid_worker", "grid", False, False, False),
        ("community_staff", "grid", True, True, True),
        ("community_staff", "grid2", False, False, False),
        ("dispatcher", "grid2", True, True, False),
        ("leader", "grid", True, True, False),
        ("supervisor", "grid2", True, True, False),
        ("handler", "grid", False, False, False),
        ("resident_user", "grid", False, False, False),
        ("outsider", "street", False, False, False),
        ("admin", "grid2", True, True, True),
        ("steward", "unit", True, True, False),
        ("steward", "unit2", False, False, False),
    ],
)
def test_role_scope_grid(city, people, persona, area, may_view, may_see_detail, may_unmask):
    user, node = getattr(people, persona), getattr(city, area)
    assert policy.can_view_area(user, node) is may_view
    assert policy.can_view_area_detail(user, node) is may_see_detail
    assert policy.can_unmask(user, node.path) is may_unmask


def test_visible_areas_lists_own_subtree_and_ancestors_only(city, people):
    codes = set(policy.visible_areas(people.grid_worker).values_list("code", flat=True))
    assert city.grid.code in codes and city.unit.code in codes and city.street.code in codes
    assert city.grid2.code not in codes and city.grid_x.code not in codes


def test_leader_reads_but_never_edits(people):
    assert policy.can_edit(people.leader) is False
    assert policy.can_edit(people.dispatcher) is True
