"""Point-in-grid lookup over the stored grids: which grid (网格) does a point lie in?

`find_grid(lng, lat, crs="wgs84"|"gcj02")` answers one point with a `GridMatch` (its grid,
community and street, or `found == False` outside every grid); `find_grids(lngs, lats)` answers a
numpy batch with grid ids (-1 outside). Both read a process-wide `GridIndex` (see gridindex.py for
how it works and for the boundary rule: a grid covers its closed polygon; on a shared edge or
vertex the grid with the lowest code wins) built from `Area.shape` of every grid.

Cache invalidation across processes. Each process keeps its own index and checks a version stamp
in the database at most once every `CIVICGRID_GRID_LOOKUP_CHECK_SECONDS` (default 5): the count,
the highest id and a checksum of code, name, kind, parent and shape over all street, community and
grid rows, computed inside the database (PostgreSQL `hashtext`, a registered CRC-32 on SQLite), so
only three numbers cross the wire. It sees every kind of write: `save()`, `QuerySet.update()`, bulk
loads, the admin and other processes alike. Within a process, any write to the area tree marks the
cache stale at once (it is registered in `core.caches` for the `areas` topic), so the writer never
reads its own stale answer.

The JSON endpoint is here too (`lookup_view`, GET /areas/lookup?lng=…&lat=…[&crs=gcj02]): a point
outside every grid is an ordinary answer (`{"found": false, "message": …}`, status 200), not an
error page; only a malformed request gets a 400. `read_point` parses a point from a query string
for every endpoint that takes one (the public report form's "where am I" asks through it too).
"""

from __future__ import annotations

import math
import os
import threading
import time
import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from civicgrid.core import caches, geo
from civicgrid.core.access import public_view

from .gridindex import GridIndex
from .models import Area, Level

__all__ = [
    "GridIndex",
    "GridMatch",
    "GridRecord",
    "find_grid",
    "find_grids",
    "grid_cache",
    "lookup_view",
    "normalise_crs",
    "read_point",
]

CRS_WGS84 = "wgs84"
CRS_GCJ02 = "gcj02"
CRS_CHOICES = (CRS_WGS84, CRS_GCJ02)


def normalise_crs(crs: str) -> str:
    """'wgs84', 'WGS-84', 'gcj02', 'GCJ-02' … → 'wgs84' or 'gcj02'; anything else is a ValueError."""
    value = (crs or CRS_WGS84).strip().lower().replace("-", "").replace("_", "")
    if value not in CRS_CHOICES:
        raise ValueError(f"unknown coordinate system {crs!r}; use 'wgs84' or 'gcj02'")
    return value


@dataclass(frozen=True, slots=True)
class GridRecord:
    """What a lookup tells about a grid, without touching the database again."""

    id: int
    code: str
    name: str
    kind: str
    community_code: str
    community_name: str
    street_code: str
    street_name: str


@dataclass(frozen=True)
class GridMatch:
    """The answer for one point: the grid it lies in, or `found == False` outside every grid."""

    lng: float  # the WGS84 point that was looked up
    lat: float
    record: GridRecord | None = None

    @property
    def found(self) -> bool:
        return self.record is not None

    def __bool__(self) -> bool:
        return self.found

    @property
    def grid_id(self) -> int | None:
        return self.record.id if self.record else None

    @property
    def code(self) -> str:
        return self.record.code if self.record else ""

    @cached_property
    def area(self) -> Area | None:
        """The grid's `Area` row (one query), or None outside every grid."""
        return Area.objects.get(pk=self.record.id) if self.record else None

    @staticmethod
    def outside_message() -> str:
        return _("This place is not inside any grid. Check the location, or report it without one.")

    def as_dict(self) -> dict:
        if not self.record:
            return {"found": False, "message": self.outside_message(), "lng": self.lng, "lat": self.lat}
        r = self.record
        return {
            "found": True,
            "code": r.code,
            "name": r.name,
            "kind": r.kind,
            "community": {"code": r.community_code, "name": r.community_name},
            "street": {"code": r.street_code, "name": r.street_name},
            "lng": self.lng,
            "lat": self.lat,
        }


@dataclass(frozen=True)
class _Loaded:
    stamp: tuple
    index: GridIndex
    records: list[GridRecord]
    ids: np.ndarray  # position → Area pk


def _sqlite_crc32(text) -> int:
    return zlib.crc32(text.encode("utf-8")) if text is not None else 0


def shapes_stamp() -> tuple:
    """A cheap version stamp of everything the lookup caches (three numbers, computed in the DB)."""
    table = connection.ops.quote_name(Area._meta.db_table)
    levels = (Level.STREET, Level.COMMUNITY, Level.GRID)
    if connection.vendor == "postgresql":
        row_text = "concat_ws('|', code, name, kind, parent_id::text, shape::text)"
        checksum = f"SUM(hashtext({row_text})::bigint)"
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        connection.connection.create_function("civicgrid_crc32", 1, _sqlite_crc32, deterministic=True)
        row_text = (
            "code || '|' || name || '|' || kind || '|' || IFNULL(parent_id, '') || '|' || IFNULL(shape, '')"
        )
        checksum = f"SUM(civicgrid_crc32({row_text}))"
    else:
        checksum = "SUM(LENGTH(code) + LENGTH(name))"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*), MAX(id), {checksum} FROM {table} WHERE level IN (%s, %s, %s)",
            [str(level) for level in levels],
        )
        return tuple(cursor.fetchone())


def _load(stamp: tuple) -> _Loaded:
    parents = {
        pk: (code, name, parent_id)
        for pk, code, name, parent_id in Area.objects.filter(
            level__in=[Level.STREET, Level.COMMUNITY]
        ).values_list("id", "code", "name", "parent_id")
    }
    records, shapes = [], []
    rows = (
        Area.objects.filter(level=Level.GRID, shape__isnull=False)
        .order_by("code")
        .values_list("id", "code", "name", "kind", "parent_id", "shape")
    )
    for pk, code, name, kind, parent_id, shape in rows.iterator(chunk_size=2000):
        community = parents.get(parent_id, ("", "", None))
        street = parents.get(community[2], ("", "", None))
        records.append(GridRecord(pk, code, name, kind, community[0], community[1], street[0], street[1]))
        shapes.append(shape)
    index = GridIndex.from_geojson(shapes)
    ids = np.array([r.id for r in records] + [-1], dtype=np.int64)  # ids[-1] = -1 for "outside"
    return _Loaded(stamp, index, records, ids)


class GridCache:
    """The process-wide index over stored grids, re-checked against the DB stamp every few seconds."""

    def __init__(self, check_seconds: float) -> None:
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._loaded: _Loaded | None = None
        self._checked_at = -math.inf
        self._stale = False
        self.builds = 0

    def current(self) -> _Loaded:
        loaded = self._loaded
        if (
            loaded is not None
            and not self._stale
            and time.monotonic() - self._checked_at < self.check_seconds
        ):
            return loaded
        with self._lock:
            loaded = self._loaded
            now = time.monotonic()
            if loaded is not None and not self._stale and now - self._checked_at < self.check_seconds:
                return loaded
            self._stale = False
            stamp = shapes_stamp()  # read before loading: a change during the load shows up next time
            if loaded is None or stamp != loaded.stamp:
                loaded = _load(stamp)
                self._loaded = loaded
                self.builds += 1
            self._checked_at = now
            return loaded

    def invalidate(self) -> None:
        """Check the stamp again on the next lookup (called when this process saves an area)."""
        self._stale = True

    def clear(self) -> None:
        """Forget the index entirely (the next lookup rebuilds it)."""
        with self._lock:
            self._loaded = None
            self._checked_at = -math.inf


grid_cache = GridCache(float(os.environ.get("CIVICGRID_GRID_LOOKUP_CHECK_SECONDS", "5")))
caches.register(
    "areas.grid_lookup", grid_cache.invalidate, topics=[caches.AREAS], max_age=grid_cache.check_seconds
)


def _to_wgs84(lng: float, lat: float, crs: str) -> tuple[float, float]:
    if normalise_crs(crs) == CRS_GCJ02:
        return geo.gcj02_to_wgs84(lng, lat)
    return lng, lat


def find_grid(lng: float, lat: float, crs: str = CRS_WGS84) -> GridMatch:
    """The grid a point lies in; `crs="gcj02"` for coordinates from Chinese phones and map apps.

    Never raises for a point outside every grid: the answer then has `found == False`.
    """
    lng, lat = _to_wgs84(float(lng), float(lat), crs)
    loaded = grid_cache.current()
    position = loaded.index.locate(lng, lat)
    return GridMatch(lng, lat, loaded.records[position] if position >= 0 else None)


def find_grids(lngs, lats, crs: str = CRS_WGS84) -> np.ndarray:
    """Batch lookup: an int64 array of grid ids (`Area.pk`), -1 for points outside every grid."""
    lngs = np.asarray(lngs, dtype=float)
    lats = np.asarray(lats, dtype=float)
    if normalise_crs(crs) == CRS_GCJ02:
        lngs, lats = geo.gcj02_to_wgs84_np(lngs, lats)
    loaded = grid_cache.current()
    return loaded.ids[loaded.index.locate_many(lngs, lats)]


# ---------------------------------------------------------------- the JSON endpoint


def _coordinate(raw: str | None, low: float, high: float) -> float | None:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and low <= value <= high else None


def read_point(query) -> tuple[float, float] | None:
    """(lng, lat) from a query dict's `lng` and `lat`, or None when either is missing or not a
    finite number within range."""
    lng = _coordinate(query.get("lng"), -180.0, 180.0)
    lat = _coordinate(query.get("lat"), -90.0, 90.0)
    if lng is None or lat is None:
        return None
    return lng, lat


@public_view  # answers 401 JSON to strangers itself (a script's fetch wants JSON, not a redirect)
@require_GET
def lookup_view(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"found": False, "message": _("Please log in first.")}, status=401)
    point = read_point(request.GET)
    if point is None:
        return JsonResponse(
            {"found": False, "message": _("Give the longitude (lng) and latitude (lat) as numbers.")},
            status=400,
        )
    try:
        crs = normalise_crs(request.GET.get("crs", "wgs84"))
    except ValueError:
        return JsonResponse(
            {"found": False, "message": _("Unknown coordinate system: use wgs84 or gcj02.")}, status=400
        )
    return JsonResponse(find_grid(*point, crs=crs).as_dict(), json_dumps_params={"ensure_ascii": False})
