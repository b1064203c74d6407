"""Per-process caches follow one rule (core/caches.py): every cache registers for the topics that
make it stale; a write fires its topic once and every such cache is cleared at once in the writing
process; other processes see the change within the cache's max_age."""

import pytest

from civicgrid.areas.models import Area, Level
from civicgrid.areas.services import bulk_create_areas, move_area
from civicgrid.core import caches


def test_every_area_dependent_cache_is_registered_for_the_area_topic():
    names = {c.name for c in caches.registered(caches.AREAS)}
    assert {
        "areas.grid_lookup",
        "cases.rollup_areas",
        "cases.catalogue",
        "open311.places",
        "open311.districts",
    } <= names
    assert "open311.services" in {c.name for c in caches.registered(caches.CATEGORIES)}
    assert "cases.catalogue" in {c.name for c in caches.registered(caches.CATEGORIES)}
    assert "core.workcalendar" in {c.name for c in caches.registered(caches.CALENDAR)}
    for cache in caches.registered():
        assert 0 < cache.max_age <= caches.DEFAULT_MAX_AGE


def test_renaming_a_district_is_seen_at_once_by_every_cache_that_holds_it(city):
    from civicgrid.open311.http import districts

    assert districts()["330106"].name == "西湖区"
    Area.objects.filter(pk=city.district.pk).update(name="西湖新区")  # no signal: still cached
    assert districts()["330106"].name == "西湖区"
    district = Area.objects.get(pk=city.district.pk)
    district.name = "西湖新区"
    district.save()  # the area tree fires the topic
    assert districts()["330106"].name == "西湖新区"


def test_a_new_grid_from_a_bulk_write_is_found_at_once(city):
    from civicgrid.areas.lookup import find_grid
    from civicgrid.cases.rollups import ancestry

    from ..conftest import square

    assert not find_grid(120.135, 30.225)
    grid = Area(
        level=Level.GRID,
        code="330106001002009",
        name="葛岭九网格",
        parent=city.community2,
        kind="N",
        shape=square(120.13, 30.22),
    )
    bulk_create_areas([grid])  # bulk_create sends no signals; the service fires the topic
    assert find_grid(120.135, 30.225).code == "330106001002009"
    assert ancestry(grid.path)[-1][0] == grid.pk


def test_a_move_clears_the_caches_keyed_by_code(city, people):
    from civicgrid.cases.rollups import _areas, ancestry

    ancestry(city.grid.path)
    loads = _areas.loads
    moved = move_area(city.grid, by=people.admin, code="330106001001009")
    assert ancestry(moved.path)[-1][0] == city.grid.pk
    assert _areas.loads == loads + 1


def test_a_topic_clears_only_the_caches_registered_for_it(db):
    calls = []
    value = caches.TimedValue("test.value", lambda: calls.append(1) or len(calls), topics=["test-topic"])
    try:
        assert value.get() == 1 and value.get() == 1
        caches.invalidate(caches.CALENDAR)
        assert value.get() == 1
        caches.invalidate("test-topic")
        assert value.get() == 2
    finally:
        caches._registry.pop("test.value", None)


def test_another_process_sees_a_change_within_max_age(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(caches.time, "monotonic", lambda: now[0])
    loaded = []
    value = caches.TimedValue("test.aged", lambda: loaded.append(now[0]) or now[0], topics=[], max_age=60)
    try:
        assert value.get() == 1000.0
        now[0] += 59
        assert value.get() == 1000.0  # still fresh: nobody told this process
        now[0] += 1
        assert value.get() == 1060.0  # reloaded once max_age has passed
        assert loaded == [1000.0, 1060.0]
    finally:
        caches._registry.pop("test.aged", None)


@pytest.mark.parametrize("topic", [caches.AREAS, caches.CATEGORIES, caches.CALENDAR])
def test_invalidating_a_topic_never_fails_for_a_registered_cache(db, topic):
    caches.invalidate(topic)
