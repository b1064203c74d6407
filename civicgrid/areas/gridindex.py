"""A pure in-memory point-in-polygon index for grids (numpy + shapely 2, no Django).

`GridIndex(polygons)` answers which polygon covers a point: `locate(x, y)` for one point,
`locate_many(xs, ys)` for a numpy batch. Answers are positions in the list given, -1 for none.
civicgrid.areas.lookup builds one over the stored grids (sorted by code); bench/ measures it.

How it works. The extent of all polygons is cut into a uniform raster of small square cells
(about `cells_per_grid` cells per polygon). A cell that no polygon edge touches (with a small safety
margin) lies wholly inside the same polygons, so it stores its answer directly: a point falling in
it is answered by one array read. A cell that an edge touches stores the few candidate polygons
(those whose edges touch it, and those covering its centre); a point falling there is tested
exactly against each candidate, lowest first, with shapely's prepared `intersects_xy`. Building
the raster is vectorised numpy (a scanline fill for the cell answers, a supercover walk of every
edge for the edge cells), so a rebuild over 10,000 grids takes about half a second. An STRtree is
kept over the polygons too, for callers that want other spatial queries.

Boundary semantics. A polygon covers its closed area: a point on its outer edge or at a vertex is
in it. Where several polygons cover a point (a shared edge or vertex, or an overlap) the lowest
position wins, so every point gets exactly one deterministic answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence

import numpy as np
import shapely

# Shapely type ids of the polygonal geometries a grid shape may be.
_POLYGON, _MULTIPOLYGON = 3, 6
# Safety margin around each edge, in cell units: far above float rounding (~1e-12 cells),
# far below anything that would mark extra cells.
_EDGE_MARGIN = 1e-6
# An edge steeper than this (|du| <= ratio * |dv|) is treated as vertical (exactly conservative).
_STEEP_RATIO = 1e-4
# For one point: shapely.intersects_xy minus its per-call `prepare` check (about half of its ~2 µs);
# every geometry here is prepared when the index is built.
_intersects_xy_prepared = getattr(getattr(shapely, "lib", None), "intersects_xy", shapely.intersects_xy)


def _expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts [2, 0, 3] → owners [0, 0, 2, 2, 2] and offsets [0, 1, 0, 1, 2]."""
    counts = np.maximum(counts, 0)
    owners = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    offsets = np.arange(owners.size) - np.repeat(starts, counts)
    return owners, offsets


def _first_of_runs(values: np.ndarray) -> np.ndarray:
    """In a sorted array, True at the first element of each run of equal values."""
    first = np.ones(values.size, dtype=bool)
    first[1:] = values[1:] != values[:-1]
    return first


class GridIndex:
    """Point-in-polygon index over a fixed list of polygons; answers are positions in that list.

    `locate` and `locate_many` return the position of the covering polygon with the lowest
    position (so sort the polygons by code first), or -1 when no polygon covers the point.
    """

    def __init__(
        self,
        geometries: Sequence,
        *,
        cells_per_grid: int = 256,
        max_cells: int = 4_000_000,
    ) -> None:
        geoms = np.empty(len(geometries), dtype=object)
        geoms[:] = list(geometries)
        missing = np.array([g is None for g in geoms], dtype=bool)
        if missing.any():
            geoms[missing] = shapely.Polygon()
        type_ids = shapely.get_type_id(geoms)
        unusable = ~np.isin(type_ids, (_POLYGON, _MULTIPOLYGON)) | shapely.is_empty(geoms)
        if unusable.any():
            geoms[unusable] = shapely.Polygon()
        self.geoms = geoms
        self.size = len(geoms)
        shapely.prepare(geoms)
        self.tree = shapely.STRtree(geoms)
        self._geom_list = list(geoms)
        self._build(cells_per_grid, max_cells, usable=~unusable)

    @classmethod
    def from_geojson(cls, shapes: Iterable[dict | str | None], **options) -> GridIndex:
        """Build from GeoJSON geometry dicts (or strings); None or non-polygons never match."""
        texts = [s if isinstance(s, str) or s is None else json.dumps(s) for s in shapes]
        geoms = shapely.from_geojson(np.array(texts, dtype=object), on_invalid="ignore")
        return cls(list(np.atleast_1d(geoms)), **options)

    # ----------------------------------------------------------------------------------- building

    def _build(self, cells_per_grid: int, max_cells: int, usable: np.ndarray) -> None:
        n = self.size
        if not usable.any():
            self._set_empty()
            return
        bounds = shapely.bounds(self.geoms[usable])
        xmin, ymin = bounds[:, 0].min(), bounds[:, 1].min()
        xmax, ymax = bounds[:, 2].max(), bounds[:, 3].max()
        mean_area = float(np.mean((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])))
        cell = math.sqrt(mean_area / max(cells_per_grid, 1)) if mean_area > 0 else 0.0
        extent = max(xmax - xmin, ymax - ymin)
        if not cell > 0:
            cell = extent / 1000 if extent > 0 else 1e-6
        while True:
            # One spare cell on each side keeps every edge (and its margin) inside the raster.
            nx = int(math.ceil((xmax - xmin) / cell)) + 2
            ny = int(math.ceil((ymax - ymin) / cell)) + 2
            if nx * ny <= max_cells:
                break
            cell *= math.sqrt(nx * ny / max_cells) * 1.01
        x0, y0, scale = xmin - cell, ymin - cell, 1.0 / cell
        self._x0, self._y0, self._scale, self._nx, self._ny = x0, y0, scale, nx, ny
        self.cell_size = cell

        # Every ring edge of every polygon, in cell units (u right, v up).
        parts, part_owner = shapely.get_parts(self.geoms, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
        u = (coords[:, 0] - x0) * scale
        v = (coords[:, 1] - y0) * scale
        same_ring = coord_ring[1:] == coord_ring[:-1]
        u0, v0 = u[:-1][same_ring], v[:-1][same_ring]
        u1, v1 = u[1:][same_ring], v[1:][same_ring]
        seg_poly = part_owner[ring_part[coord_ring[:-1][same_ring]]].astype(np.int64)

        label = self._scanline_labels(u0, v0, u1, v1, seg_poly)
        edge_cells, edge_poly = self._edge_cells(u0, v0, u1, v1, seg_poly)

        ncells = nx * ny
        mixed = np.zeros(ncells, dtype=bool)
        mixed[edge_cells] = True
        # Candidates of an edge cell: polygons whose edges touch it, and polygons covering its
        # centre (a polygon may cover an edge cell entirely where shapes overlap).
        span_cells, span_poly = self._span_pairs
        in_mixed = mixed[span_cells]
        pair_keys = np.concatenate(
            [edge_cells * n + edge_poly, span_cells[in_mixed] * n + span_poly[in_mixed]]
        )
        pair_keys.sort()  # sort + neighbour compare: much faster here than np.unique
        pair_keys = pair_keys[_first_of_runs(pair_keys)]
        pair_cells, pair_poly = np.divmod(pair_keys, n)
        first = np.flatnonzero(_first_of_runs(pair_cells))
        mixed_cells = pair_cells[first]
        starts = np.append(first, pair_cells.size)

        code_type = np.int32 if max(n, mixed_cells.size) < 2**31 - 2 else np.int64
        codes = label.astype(code_type)
        codes[mixed_cells] = -2 - np.arange(mixed_cells.size, dtype=code_type)
        self._codes = codes
        self._starts = starts.astype(np.int64)
        self._cand = pair_poly.astype(code_type)
        self.edge_cell_count = int(mixed_cells.size)
        del self._span_pairs
        # memoryviews give plain Python ints on indexing: the fast path for one point.
        self._codes_mv = memoryview(self._codes)
        self._starts_mv = memoryview(self._starts)
        self._cand_mv = memoryview(self._cand)
        # Prepared geometries build their point-in-area structures lazily on first use; do it
        # now, once, so concurrent threads later only read them.
        reps = shapely.point_on_surface(self.geoms[usable])
        shapely.intersects_xy(self.geoms[usable], shapely.get_x(reps), shapely.get_y(reps))

    def _set_empty(self) -> None:
        self._x0 = self._y0 = 0.0
        self._scale = 1.0
        self._nx = self._ny = 0
        self.cell_size = 0.0
        self.edge_cell_count = 0
        self._codes = np.zeros(0, dtype=np.int32)
        self._starts = np.zeros(1, dtype=np.int64)
        self._cand = np.zeros(0, dtype=np.int32)
        self._codes_mv = memoryview(self._codes)
        self._starts_mv = memoryview(self._starts)
        self._cand_mv = memoryview(self._cand)

    def _scanline_labels(self, u0, v0, u1, v1, seg_poly) -> np.ndarray:
        """For each cell, the lowest polygon covering its centre (-1 for none), by even-odd scanlines.

        Only trusted for cells no edge touches; also keeps the (cell, polygon) pairs of every
        filled span for the candidate lists of edge cells.
        """
        nx, ny, n = self._nx, self._ny, self.size
        vmin, vmax = np.minimum(v0, v1), np.maximum(v0, v1)
        # Rows whose centre line v = j + 0.5 lies in [vmin, vmax): half-open, so a ring crossed at
        # a vertex counts once and every ring gives an even number of crossings per row.
        first_row = np.ceil(vmin - 0.5).astype(np.int64)
        rows_count = np.ceil(vmax - 0.5).astype(np.int64) - first_row
        seg, offset = _expand(rows_count)
        row = first_row[seg] + offset
        centre = row + 0.5
        crossing = u0[seg] + (centre - v0[seg]) * (u1[seg] - u0[seg]) / (v1[seg] - v0[seg])
        poly = seg_poly[seg]
        order = np.lexsort((crossing, row, poly))
        poly, row, crossing = poly[order], row[order], crossing[order]
        left, right = slice(0, None, 2), slice(1, None, 2)
        ok = (poly[left] == poly[right]) & (row[left] == row[right])
        span_poly, span_row = poly[left][ok], row[left][ok]
        # Cells whose centre i + 0.5 lies in [left, right).
        col_from = np.clip(np.ceil(crossing[left][ok] - 0.5), 0, nx).astype(np.int64)
        col_to = np.clip(np.ceil(crossing[right][ok] - 0.5), 0, nx).astype(np.int64)
        inside = (span_row >= 0) & (span_row < ny)
        span, offset = _expand(np.where(inside, col_to - col_from, 0))
        cells = span_row[span] * nx + col_from[span] + offset
        polys = span_poly[span]
        label = np.full(nx * ny, n, dtype=np.int64)
        np.minimum.at(label, cells, polys)
        label[label == n] = -1
        self._span_pairs = (cells, polys)
        return label

    def _edge_cells(self, u0, v0, u1, v1, seg_poly) -> tuple[np.ndarray, np.ndarray]:
        """Every (cell, polygon) where an edge of the polygon, widened by a margin, touches the cell."""
        nx, ny, eps = self._nx, self._ny, _EDGE_MARGIN
        umin, umax = np.minimum(u0, u1), np.maximum(u0, u1)
        vmin, vmax = np.minimum(v0, v1), np.maximum(v0, v1)
        first_col = np.floor(umin - eps).astype(np.int64)
        seg, offset = _expand(np.floor(umax + eps).astype(np.int64) - first_col + 1)
        col = first_col[seg] + offset
        # The part of the segment within this column (widened by the margin) spans v from va to vb.
        ua = np.maximum(umin[seg], col - eps)
        ub = np.minimum(umax[seg], col + 1 + eps)
        du, dv = (u1 - u0)[seg], (v1 - v0)[seg]
        steep = np.abs(du) <= _STEEP_RATIO * np.abs(dv)
        slope = np.divide(dv, du, out=np.zeros_like(dv), where=~steep)
        va = v0[seg] + (ua - u0[seg]) * slope
        vb = v0[seg] + (ub - u0[seg]) * slope
        lo = np.where(steep, vmin[seg], np.clip(np.minimum(va, vb), vmin[seg], vmax[seg]))
        hi = np.where(steep, vmax[seg], np.clip(np.maximum(va, vb), vmin[seg], vmax[seg]))
        first_row = np.floor(lo - eps).astype(np.int64)
        piece, offset = _expand(np.floor(hi + eps).astype(np.int64) - first_row + 1)
        rows = np.clip(first_row[piece] + offset, 0, ny - 1)
        cols = np.clip(col[piece], 0, nx - 1)
        return rows * nx + cols, seg_poly[seg[piece]]

    # ------------------------------------------------------------------------------------ queries

    def locate(self, x: float, y: float) -> int:
        """Position of the grid covering (x, y), lowest first; -1 if none."""
        u = (x - self._x0) * self._scale
        v = (y - self._y0) * self._scale
        if not (0.0 <= u < self._nx and 0.0 <= v < self._ny):
            return -1  # also NaN
        code = self._codes_mv[int(v) * self._nx + int(u)]
        if code >= -1:
            return code
        mixed = -2 - code
        geoms, cand = self._geom_list, self._cand_mv
        for k in range(self._starts_mv[mixed], self._starts_mv[mixed + 1]):
            poly = cand[k]
            if _intersects_xy_prepared(geoms[poly], x, y):
                return poly
        return -1

    def locate_many(self, xs, ys) -> np.ndarray:
        """Vectorised `locate`: an int64 array of positions, -1 where no grid covers the point."""
        x = np.asarray(xs, dtype=float).ravel()
        y = np.asarray(ys, dtype=float).ravel()
        if x.shape != y.shape:
            raise ValueError("xs and ys must have the same length")
        if self._nx == 0:
            return np.full(x.size, -1, dtype=np.int64)
        u = (x - self._x0) * self._scale
        v = (y - self._y0) * self._scale
        valid = (u >= 0) & (u < self._nx) & (v >= 0) & (v < self._ny)
        cell = np.where(valid, v, 0).astype(np.int64) * self._nx + np.where(valid, u, 0).astype(np.int64)
        result = self._codes[cell].astype(np.int64)
        result[~valid] = -1
        pending = np.flatnonzero(result <= -2)
        if pending.size:
            mixed = -2 - result[pending]
            begin = self._starts[mixed]
            owner, offset = _expand(self._starts[mixed + 1] - begin)
            point = pending[owner]
            cand = self._cand[begin[owner] + offset]
            hit = shapely.intersects_xy(self.geoms[cand], x[point], y[point])
            result[pending] = -1
            point, cand = point[hit], cand[hit]
            # Candidates of a cell are in ascending order: the first hit per point is the lowest.
            first = np.ones(point.size, dtype=bool)
            first[1:] = point[1:] != point[:-1]
            result[point[first]] = cand[first]
        return result
