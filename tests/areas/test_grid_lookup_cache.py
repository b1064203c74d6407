"""The process-wide grid cache follows changes to the stored shapes, in this process and in others."""

import pytest

from civicgrid.areas import lookup
from civicgrid.areas.lookup import GridCache, find_grid, grid_cache
from civicgrid.areas.models import Area
from tests.conftest import square


@pytest.fixture(autouse=True)
def fresh_cache():
    grid_cache.clear()
    yield
    grid_cache.clear()


def test_a_grid_saved_in_this_process_is_seen_at_once(city):
    assert find_grid(120.135, 30.205).found is False
    builds = grid_cache.builds
    city.grid2.shape = square(120.13, 30.20)
    city.grid2.save()
    assert find_grid(120.135, 30.205).code == city.grid2.code
    assert not find_grid(120.125, 30.205).found
    assert grid_cache.builds == builds + 1


def test_renaming_a_community_shows_in_the_next_answer(city):
    assert find_grid(120.125, 30.205).record.community_name == "葛岭社区"
    city.community2.name = "葛岭新社区"
    city.community2.save()
    assert find_grid(120.125, 30.205).record.community_name == "葛岭新社区"


def test_a_deleted_grid_is_no_longer_found(city):
    spare = Area.objects.create(
        level="grid",
        code="330106001002009",
        name="临时网格",
        parent=city.community2,
        shape=square(120.14, 30.20),
    )
    assert find_grid(120.145, 30.205).code == spare.code
    spare.delete()
    assert not find_grid(120.145, 30.205).found


def test_without_changes_the_index_is_not_rebuilt(city, django_assert_num_queries):
    find_grid(120.105, 30.205)
    builds = grid_cache.builds
    with django_assert_num_queries(0):
        for _ in range(100):
            find_grid(120.105, 30.205)
    grid_cache.invalidate()  # even a forced check rebuilds nothing when the stamp is unchanged
    with django_assert_num_queries(1):
        find_grid(120.105, 30.205)
    assert grid_cache.builds == builds


def test_another_process_sees_a_change_through_the_database_stamp(city, monkeypatch):
    # Another process's cache: no signal reaches it, only the stamp in the database.
    other = GridCache(check_seconds=60)
    monkeypatch.setattr(lookup, "grid_cache", other)
    assert find_grid(120.135, 30.205).found is False
    # A bulk write bypasses model signals entirely.
    Area.objects.filter(pk=city.grid2.pk).update(shape=square(120.13, 30.20))
    assert find_grid(120.135, 30.205).found is False  # still within the check interval
    other._checked_at -= 61  # the interval passes
    assert find_grid(120.135, 30.205).code == city.grid2.code
    assert other.builds == 2


def test_the_stamp_changes_with_any_shape_edit_and_only_then(city):
    before = lookup.shapes_stamp()
    assert lookup.shapes_stamp() == before
    shape = square(120.12, 30.20)
    shape["coordinates"][0][1][1] = 30.2000001  # move one vertex a little
    Area.objects.filter(pk=city.grid2.pk).update(shape=shape)
    assert lookup.shapes_stamp() != before
