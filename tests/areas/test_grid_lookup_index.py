"""The in-memory grid index answers exactly like a brute-force test of every polygon.

Exact means: a grid covers its closed polygon, and where several cover a point (a shared edge, a
shared vertex, an overlap) the lowest position wins.
"""

import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.areas.gridindex import GridIndex


def brute_force(geoms, xs, ys):
    answer = []
    for x, y in zip(xs, ys, strict=True):
        hits = [i for i, g in enumerate(geoms) if g is not None and shapely.intersects_xy(g, x, y)]
        answer.append(min(hits) if hits else -1)
    return np.array(answer, dtype=np.int64)


def tiling(rows, cols, jitter, seed, origin=(120.0, 30.0), size=0.01):
    """A rows × cols tiling of quadrilaterals whose shared corners are randomly moved."""
    rng = np.random.default_rng(seed)
    xs = origin[0] + np.arange(cols + 1) * size
    ys = origin[1] + np.arange(rows + 1) * size
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + rng.uniform(-jitter, jitter, gx.shape) * size
    gy = gy + rng.uniform(-jitter, jitter, gy.shape) * size
    polys = []
    for r in range(rows):
        for c in range(cols):
            corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c)]
            polys.append(shapely.Polygon([(gx[p], gy[p]) for p in corners]))
    return polys, gx, gy


def assert_same(index, geoms, xs, ys):
    expected = brute_force(geoms, xs, ys)
    assert np.array_equal(index.locate_many(xs, ys), expected)
    assert [index.locate(x, y) for x, y in zip(xs, ys, strict=True)] == expected.tolist()


@settings(max_examples=25, deadline=None)
@given(
    rows=st.integers(1, 6),
    cols=st.integers(1, 6),
    jitter=st.sampled_from([0.0, 0.2, 0.45]),
    seed=st.integers(0, 2**32 - 1),
    cells=st.sampled_from([1, 16, 256]),
)
def test_random_tilings_match_brute_force_inside_on_edges_and_at_vertices(rows, cols, jitter, seed, cells):
    polys, gx, gy = tiling(rows, cols, jitter, seed)
    index = GridIndex(polys, cells_per_grid=cells)
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = shapely.total_bounds(polys)
    # Random points, every vertex exactly, and points on the edges (as close as floats get).
    xs = list(rng.uniform(minx - 0.005, maxx + 0.005, 200)) + list(gx.ravel())
    ys = list(rng.uniform(miny - 0.005, maxy + 0.005, 200)) + list(gy.ravel())
    for poly in polys[:6]:
        ring = np.asarray(poly.exterior.coords)
        for (ax, ay), (bx, by) in zip(ring[:-1], ring[1:], strict=True):
            t = rng.uniform()
            xs.append(ax + t * (bx - ax))
            ys.append(ay + t * (by - ay))
    assert_same(index, polys, xs, ys)


def test_point_on_a_shared_edge_belongs_to_the_lowest_position():
    polys, _, _ = tiling(1, 2, 0.0, seed=1)  # [120.00, 120.01] and [120.01, 120.02]
    index = GridIndex(polys)
    assert index.locate(120.01, 30.005) == 0
    assert index.locate_many([120.01], [30.005]).tolist() == [0]
    reversed_index = GridIndex(polys[::-1])
    assert reversed_index.locate(120.01, 30.005) == 0  # now the right-hand square comes first


def test_outer_edge_and_outer_vertex_are_inside_and_just_beyond_is_outside():
    polys, _, _ = tiling(1, 1, 0.0, seed=1)
    index = GridIndex(polys)
    assert index.locate(120.0, 30.005) == 0
    assert index.locate(120.01, 30.01) == 0
    assert index.locate(math.nextafter(120.0, 0), 30.005) == -1
    assert index.locate(120.005, math.nextafter(30.01, 99)) == -1


def test_multipolygons_and_holes():
    two_parts = shapely.MultiPolygon(
        [shapely.box(120.0, 30.0, 120.01, 30.01), shapely.box(120.03, 30.0, 120.04, 30.01)]
    )
    ring_with_hole = shapely.Polygon(
        [(120.0, 30.02), (120.04, 30.02), (120.04, 30.06), (120.0, 30.06)],
        holes=[[(120.01, 30.03), (120.03, 30.03), (120.03, 30.05), (120.01, 30.05)]],
    )
    in_the_hole = shapely.box(120.015, 30.035, 120.025, 30.045)
    geoms = [two_parts, ring_with_hole, in_the_hole]
    index = GridIndex(geoms)
    assert index.locate(120.005, 30.005) == 0
    assert index.locate(120.035, 30.005) == 0
    assert index.locate(120.02, 30.005) == -1  # between the two parts
    assert index.locate(120.005, 30.04) == 1
    assert index.locate(120.012, 30.04) == -1  # in the hole, not in the island
    assert index.locate(120.02, 30.04) == 2  # the island inside the hole
    rng = np.random.default_rng(3)
    assert_same(index, geoms, rng.uniform(119.99, 120.05, 500), rng.uniform(29.99, 30.07, 500))


def test_overlapping_shapes_give_the_lowest_position():
    geoms = [shapely.box(120.0, 30.0, 120.02, 30.02), shapely.box(119.99, 29.99, 120.03, 30.03)]
    index = GridIndex(geoms)
    assert index.locate(120.01, 30.01) == 0
    assert index.locate(120.025, 30.01) == 1
    reversed_index = GridIndex(geoms[::-1])
    assert reversed_index.locate(120.01, 30.01) == 0
    rng = np.random.default_rng(5)
    assert_same(index, geoms, rng.uniform(119.98, 120.04, 500), rng.uniform(29.98, 30.04, 500))


def test_from_geojson_ignores_missing_and_non_polygon_shapes():
    shapes = [
        None,
        {"type": "Point", "coordinates": [120.005, 30.005]},
        {
            "type": "Polygon",
            "coordinates": [[[120, 30], [120.01, 30], [120.01, 30.01], [120, 30.01], [120, 30]]],
        },
    ]
    index = GridIndex.from_geojson(shapes)
    assert index.locate(120.005, 30.005) == 2
    assert index.locate_many([120.005, 121.0, float("nan")], [30.005, 30.0, 30.0]).tolist() == [2, -1, -1]


def test_an_index_without_usable_shapes_finds_nothing():
    for index in (GridIndex([]), GridIndex.from_geojson([None])):
        assert index.locate(120.0, 30.0) == -1
        assert index.locate_many([120.0], [30.0]).tolist() == [-1]


def test_a_fine_raster_is_capped():
    polys, _, _ = tiling(3, 3, 0.3, seed=2)
    index = GridIndex(polys, cells_per_grid=10_000, max_cells=500)
    assert index._nx * index._ny <= 500
    rng = np.random.default_rng(2)
    assert_same(index, polys, rng.uniform(119.99, 120.04, 300), rng.uniform(29.99, 30.04, 300))


@pytest.mark.parametrize("cells", [4, 256])
def test_thin_slivers_and_steep_edges(cells):
    geoms = [
        shapely.Polygon([(120.0, 30.0), (120.0 + 1e-9, 30.0), (120.0 + 2e-9, 30.05), (120.0, 30.05)]),
        shapely.Polygon([(120.0 + 1e-9, 30.0), (120.02, 30.0), (120.02, 30.05), (120.0 + 2e-9, 30.05)]),
    ]
    index = GridIndex(geoms, cells_per_grid=cells)
    rng = np.random.default_rng(9)
    xs = np.concatenate([rng.uniform(120.0, 120.00000001, 200), rng.uniform(119.99, 120.03, 200)])
    ys = np.concatenate([rng.uniform(30.0, 30.05, 200), rng.uniform(29.99, 30.06, 200)])
    assert_same(index, geoms, xs, ys)
