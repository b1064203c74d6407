"""Finding the grid of a point among the stored grids (the `city` fixture's three squares).

grid   330106001001001  [120.10, 120.11] × [30.20, 30.21]   宝石社区
grid_x 330106001001002  [120.11, 120.12] × [30.20, 30.21]   宝石社区
grid2  330106001002001  [120.12, 120.13] × [30.20, 30.21]   葛岭社区
"""

import numpy as np
import pytest

from civicgrid.areas.lookup import find_grid, find_grids, grid_cache
from civicgrid.areas.models import Level
from civicgrid.areas.services import create_area
from civicgrid.core import geo


@pytest.fixture(autouse=True)
def fresh_cache():
    grid_cache.clear()
    yield
    grid_cache.clear()


def test_a_point_inside_a_grid_finds_it_with_its_community_and_street(city):
    match = find_grid(120.105, 30.205)
    assert match.found
    assert match.code == city.grid.code
    assert match.record.name == "宝石一网格"
    assert match.record.community_name == "宝石社区"
    assert match.record.street_name == "北山街道"
    assert match.area == city.grid


def test_a_point_on_an_edge_shared_by_two_grids_goes_to_the_lowest_code(city):
    assert find_grid(120.11, 30.205).code == city.grid.code
    # across a community boundary too: …001002 < …002001
    assert find_grid(120.12, 30.2073).code == city.grid_x.code


def test_a_point_on_an_outer_edge_is_in_the_grid(city):
    assert find_grid(120.10, 30.205).code == city.grid.code
    assert find_grid(120.115, 30.20).code == city.grid_x.code
    assert find_grid(120.13, 30.2011).code == city.grid2.code


def test_a_point_at_a_vertex_is_in_the_lowest_grid_that_has_it(city):
    assert find_grid(120.11, 30.21).code == city.grid.code  # corner of grid and grid_x
    assert find_grid(120.13, 30.20).code == city.grid2.code  # outer corner of grid2 only


def test_a_point_outside_every_grid_gets_a_clear_answer(city):
    for lng, lat in [(120.2, 30.3), (120.0999999, 30.205), (0.0, 0.0)]:
        match = find_grid(lng, lat)
        assert not match.found and not match
        assert match.area is None and match.code == ""
        assert match.as_dict()["found"] is False
        assert match.as_dict()["message"]


def test_a_gcj02_point_from_a_phone_finds_the_same_grid_as_its_wgs84_point(city):
    wgs = (120.1170, 30.2049)
    gcj = geo.wgs84_to_gcj02(*wgs)
    assert geo.distance_m(*wgs, *gcj) > 300  # the shift would land in another place
    assert find_grid(*wgs).code == city.grid_x.code
    match = find_grid(*gcj, crs="gcj02")
    assert match.code == city.grid_x.code
    assert geo.distance_m(match.lng, match.lat, *wgs) < 0.5
    assert find_grid(*gcj, crs="GCJ-02").code == city.grid_x.code
    assert find_grid(*gcj).code != city.grid_x.code  # read as WGS84 it is somewhere else


def test_an_unknown_coordinate_system_is_refused(city):
    with pytest.raises(ValueError):
        find_grid(120.105, 30.205, crs="bd09")


def test_a_multipolygon_grid_is_found_in_each_of_its_parts(city):
    two_parts = {
        "type": "MultiPolygon",
        "coordinates": [
            [[[120.14, 30.20], [120.15, 30.20], [120.15, 30.21], [120.14, 30.21], [120.14, 30.20]]],
            [[[120.16, 30.20], [120.17, 30.20], [120.17, 30.21], [120.16, 30.21], [120.16, 30.20]]],
        ],
    }
    split = create_area(
        level=Level.GRID,
        code="330106001002002",
        name="葛岭飞地网格",
        parent=city.community2,
        kind="N",
        shape=two_parts,
    )
    assert find_grid(120.145, 30.205).code == split.code
    assert find_grid(120.165, 30.205).code == split.code
    assert not find_grid(120.155, 30.205).found


def test_grids_without_a_shape_are_never_found(city):
    create_area(level=Level.GRID, code="330106001002003", name="无边界网格", parent=city.community2, kind="N")
    assert find_grid(120.125, 30.205).code == city.grid2.code


def test_the_batch_lookup_returns_grid_ids_and_minus_one_outside(city):
    lngs = [120.105, 120.11, 120.125, 120.3, 120.13]
    lats = [30.205, 30.205, 30.205, 30.3, 30.20]
    ids = find_grids(lngs, lats)
    assert ids.dtype == np.int64
    assert ids.tolist() == [city.grid.pk, city.grid.pk, city.grid2.pk, -1, city.grid2.pk]
    assert ids.tolist() == [find_grid(x, y).grid_id or -1 for x, y in zip(lngs, lats, strict=True)]


def test_the_batch_lookup_takes_gcj02_too(city):
    points = [(120.1051, 30.2049), (120.1249, 30.2051), (2.35, 48.85)]
    gcj = [geo.wgs84_to_gcj02(*p) for p in points]
    ids = find_grids([p[0] for p in gcj], [p[1] for p in gcj], crs="gcj02")
    assert ids.tolist() == [city.grid.pk, city.grid2.pk, -1]
