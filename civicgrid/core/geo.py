"""Coordinate conversion between WGS84 and GCJ-02, and small distance helpers.

Chinese phones and map apps (Amap, Tencent, the WeChat location picker) report GCJ-02, the
offset coordinate system of the national surveying bureau. civicgrid stores WGS84 and converts
at the edge (see docs/architecture.md).

GCJ-02 is a published, deterministic perturbation of WGS84 on the Krasovsky 1940 ellipsoid.
Forward (WGS84 → GCJ-02) is closed form; the inverse has no closed form and is solved here by
fixed-point iteration, which converges to well under a millimetre in a few steps. Outside China
(a rough bounding box, as every implementation of the algorithm uses) GCJ-02 equals WGS84.

Both scalar functions (plain floats, fast for one point) and numpy versions (arrays) exist.
"""

from __future__ import annotations

import math

import numpy as np

# Krasovsky 1940 ellipsoid, as in the published algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
_PI = math.pi

# Inverse iteration stops when the step is below this (degrees; 1e-9° ≈ 0.1 mm). Each step shrinks
# the error some 300-fold, so the answer is then good to about 1e-12° (far below 0.5 m).
_INVERSE_TOLERANCE = 1e-9
_INVERSE_MAX_STEPS = 30

EARTH_RADIUS_M = 6371008.8


def out_of_china(lng: float, lat: float) -> bool:
    """True where GCJ-02 is not applied (the algorithm's own rough bounding box of China)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _offsets(lng: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 shift (dlng, dlat) in degrees at a WGS84 point inside China."""
    x = lng - 105.0
    y = lat - 35.0
    sqrt_abs_x = math.sqrt(abs(x))
    common = (20.0 * math.sin(6.0 * x * _PI) + 20.0 * math.sin(2.0 * x * _PI)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * math.sin(y * _PI) + 40.0 * math.sin(y / 3.0 * _PI)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * _PI) + 320.0 * math.sin(y * _PI / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlng += (20.0 * math.sin(x * _PI) + 40.0 * math.sin(x / 3.0 * _PI)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * _PI) + 300.0 * math.sin(x / 30.0 * _PI)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * _PI
    magic = 1.0 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * _PI)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * _PI)
    return dlng, dlat


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS84 (lng, lat) → GCJ-02 (lng, lat); unchanged outside China."""
    if out_of_china(lng, lat):
        return lng, lat
    dlng, dlat = _offsets(lng, lat)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 (lng, lat) → WGS84 (lng, lat), by fixed-point iteration (error far below 0.5 m)."""
    if out_of_china(lng, lat):
        return lng, lat
    wlng, wlat = lng, lat
    for _ in range(_INVERSE_MAX_STEPS):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        step_lng, step_lat = glng - lng, glat - lat
        wlng -= step_lng
        wlat -= step_lat
        if abs(step_lng) < _INVERSE_TOLERANCE and abs(step_lat) < _INVERSE_TOLERANCE:
            break
    return wlng, wlat


def _out_of_china_np(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return ~((lng >= 72.004) & (lng <= 137.8347) & (lat >= 0.8293) & (lat <= 55.8271))


def _offsets_np(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Array version of `_offsets`, the same formula with fewer sines (they dominate the cost).

    Multiple-angle identities derive sin(πx), sin(2πx), sin(6πx) from sin and cos of πx/3, and
    sin(πy) from sin(πy/3); cos(lat) comes from sin(lat) (latitudes in China are positive).
    """
    x = lng - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    s3, c3 = np.sin(x * (_PI / 3.0)), np.cos(x * (_PI / 3.0))
    sin_x = s3 * (3.0 - 4.0 * s3 * s3)
    cos_x = c3 * (4.0 * c3 * c3 - 3.0)
    sin_2x = 2.0 * sin_x * cos_x
    sin_6x = sin_2x * (3.0 - 4.0 * sin_2x * sin_2x)
    t3 = np.sin(y * (_PI / 3.0))
    sin_y = t3 * (3.0 - 4.0 * t3 * t3)
    common = (20.0 * sin_6x + 20.0 * sin_2x) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * sin_y + 40.0 * t3) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y * (_PI / 12.0)) + 320.0 * np.sin(y * (_PI / 30.0))) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlng += (20.0 * sin_x + 40.0 * s3) * 2.0 / 3.0
    dlng += (150.0 * np.sin(x * (_PI / 12.0)) + 300.0 * np.sin(x * (_PI / 30.0))) * 2.0 / 3.0
    sin_lat = np.sin(lat * (_PI / 180.0))
    magic = 1.0 - _EE * sin_lat * sin_lat
    sqrt_magic = np.sqrt(magic)
    cos_lat = np.sqrt(1.0 - sin_lat * sin_lat)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * _PI)
    dlng = (dlng * 180.0) / (_A / sqrt_magic * cos_lat * _PI)
    return dlng, dlat


# Arrays are converted in chunks this long: the formula's many temporaries then stay in the CPU
# cache instead of allocating (and page-faulting) fresh megabytes for every operation; about
# three times faster on a million points.
_CHUNK = 16384


def _chunked(fn, lng, lat) -> tuple[np.ndarray, np.ndarray]:
    lng = np.asarray(lng, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if lng.shape != lat.shape:
        raise ValueError("lng and lat must have the same shape")
    out_lng, out_lat = np.empty_like(lng), np.empty_like(lat)
    flat_lng, flat_lat = lng.reshape(-1), lat.reshape(-1)
    res_lng, res_lat = out_lng.reshape(-1), out_lat.reshape(-1)
    for start in range(0, flat_lng.size, _CHUNK):
        part = slice(start, start + _CHUNK)
        res_lng[part], res_lat[part] = fn(flat_lng[part], flat_lat[part])
    return out_lng, out_lat


def _forward_np(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlng, dlat = _offsets_np(lng, lat)
    outside = _out_of_china_np(lng, lat)
    return np.where(outside, lng, lng + dlng), np.where(outside, lat, lat + dlat)


def _inverse_np(lng: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    wlng, wlat = lng.copy(), lat.copy()
    for _ in range(_INVERSE_MAX_STEPS):
        glng, glat = _forward_np(wlng, wlat)
        step_lng, step_lat = glng - lng, glat - lat
        wlng -= step_lng
        wlat -= step_lat
        if max(np.abs(step_lng).max(), np.abs(step_lat).max()) < _INVERSE_TOLERANCE:
            break
    return wlng, wlat  # points outside China never move: the forward leaves them as they are


def wgs84_to_gcj02_np(lng, lat) -> tuple[np.ndarray, np.ndarray]:
    """Array version of `wgs84_to_gcj02`."""
    return _chunked(_forward_np, lng, lat)


def gcj02_to_wgs84_np(lng, lat) -> tuple[np.ndarray, np.ndarray]:
    """Array version of `gcj02_to_wgs84`."""
    return _chunked(_inverse_np, lng, lat)


def bounding_box(lng: float, lat: float, metres: float) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (lng range, lat range) of a square about `metres` either side of a point: a cheap index
    filter before an exact distance."""
    dlat = metres / 111_320.0
    dlng = metres / (111_320.0 * max(math.cos(math.radians(float(lat))), 0.01))
    return (float(lng) - dlng, float(lng) + dlng), (float(lat) - dlat, float(lat) + dlat)


def distance_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
