"""WGS84 ⇄ GCJ-02: published reference points, the inverse's accuracy, and no shift outside China."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.core import geo

# (WGS84 lng, lat) → (GCJ-02 lng, lat), reference values published with common open implementations.
REFERENCE = [
    ((121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),  # Shanghai
    ((113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),  # Shenzhen
    ((116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),  # Beijing
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),  # Beijing
]


@pytest.mark.parametrize("wgs, gcj", REFERENCE)
def test_forward_conversion_matches_published_reference_points(wgs, gcj):
    lng, lat = geo.wgs84_to_gcj02(*wgs)
    assert lng == pytest.approx(gcj[0], abs=1e-9)
    assert lat == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize("wgs, gcj", REFERENCE)
def test_inverse_conversion_recovers_wgs84_within_half_a_metre(wgs, gcj):
    lng, lat = geo.gcj02_to_wgs84(*gcj)
    assert geo.distance_m(lng, lat, *wgs) < 0.5


def test_gcj02_shifts_a_hangzhou_point_by_hundreds_of_metres():
    wgs = (120.15, 30.28)
    gcj = geo.wgs84_to_gcj02(*wgs)
    assert 100 < geo.distance_m(*wgs, *gcj) < 1000


@settings(max_examples=300, deadline=None)
@given(
    lng=st.floats(min_value=73.0, max_value=135.0, allow_nan=False),
    lat=st.floats(min_value=18.0, max_value=53.0, allow_nan=False),
)
def test_round_trip_anywhere_in_china_is_within_half_a_metre(lng, lat):
    back = geo.gcj02_to_wgs84(*geo.wgs84_to_gcj02(lng, lat))
    assert geo.distance_m(*back, lng, lat) < 0.5


@pytest.mark.parametrize("point", [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (100.5, 0.5)])
def test_outside_china_gcj02_equals_wgs84(point):
    assert geo.out_of_china(*point)
    assert geo.wgs84_to_gcj02(*point) == point
    assert geo.gcj02_to_wgs84(*point) == point


def test_array_versions_agree_with_the_scalar_ones():
    rng = np.random.default_rng(7)
    lng = np.concatenate([rng.uniform(73, 135, 200), [2.35, -74.0]])
    lat = np.concatenate([rng.uniform(18, 53, 200), [48.85, 40.7]])
    glng, glat = geo.wgs84_to_gcj02_np(lng, lat)
    wlng, wlat = geo.gcj02_to_wgs84_np(glng, glat)
    for i in range(lng.size):
        assert (glng[i], glat[i]) == pytest.approx(geo.wgs84_to_gcj02(lng[i], lat[i]), abs=1e-12)
        assert (wlng[i], wlat[i]) == pytest.approx(geo.gcj02_to_wgs84(glng[i], glat[i]), abs=1e-9)
        assert geo.distance_m(wlng[i], wlat[i], lng[i], lat[i]) < 0.5
