"""Grid lookup benchmark: 10,000 synthetic grids, batch throughput and single-point latency.

    .venv/bin/python bench/bench_grid_lookup.py [--grids 10000] [--points 1000000] [--runs 5]

Targets (issue 2): >= 1,000,000 points/s in batch, < 20 µs for one point.

The grids are a jittered 100 × 100 tiling (every shared corner moved at random, so edges are
slanted and every grid is a different quadrilateral), given as GeoJSON dicts and built through
`GridIndex.from_geojson`, the same code path the stored grids take. No database is needed: the
public `find_grid` / `find_grids` (which need Django set up, but no database) are measured with
the process cache already warm, which is their steady state (the version stamp is checked against
the database at most every few seconds).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from civicgrid.areas.gridindex import GridIndex  # noqa: E402
from civicgrid.core import geo  # noqa: E402

# A Hangzhou-sized patch: 100 × 100 grids of about 500 m × 500 m.
ORIGIN = (120.0, 30.1)
CELL = 0.005


def synthetic_grids(side: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    xs = ORIGIN[0] + np.arange(side + 1) * CELL
    ys = ORIGIN[1] + np.arange(side + 1) * CELL
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + rng.uniform(-0.3, 0.3, gx.shape) * CELL
    gy = gy + rng.uniform(-0.3, 0.3, gy.shape) * CELL
    shapes = []
    for r in range(side):
        for c in range(side):
            corners = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c), (r, c)]
            ring = [[float(gx[p]), float(gy[p])] for p in corners]
            shapes.append({"type": "Polygon", "coordinates": [ring]})
    return shapes


def reference(index: GridIndex, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Plain STRtree answers (lowest covering polygon), to check the index against."""
    point_i, poly_i = index.tree.query(shapely.points(xs, ys), predicate="intersects")
    order = np.lexsort((poly_i, point_i))
    point_i, poly_i = point_i[order], poly_i[order]
    first = np.ones(point_i.size, dtype=bool)
    first[1:] = point_i[1:] != point_i[:-1]
    answer = np.full(xs.size, -1, dtype=np.int64)
    answer[point_i[first]] = poly_i[first]
    return answer


def per_call_us(fn, xs, ys) -> np.ndarray:
    clock = time.perf_counter_ns
    samples = np.empty(len(xs), dtype=np.int64)
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        t0 = clock()
        fn(x, y)
        samples[i] = clock() - t0
    return samples / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--grids", type=int, default=10_000, help="number of grids (a square tiling)")
    parser.add_argument("--points", type=int, default=1_000_000, help="points per batch run")
    parser.add_argument("--runs", type=int, default=5, help="batch runs (the median is reported)")
    parser.add_argument("--single", type=int, default=100_000, help="single-point calls timed")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    side = int(round(args.grids**0.5))
    shapes = synthetic_grids(side, args.seed)
    t0 = time.perf_counter()
    index = GridIndex.from_geojson(shapes)
    build_s = time.perf_counter() - t0
    ncells = index._nx * index._ny
    print(f"grids: {index.size:,} (jittered {side}x{side} tiling, ~{CELL * 111_000:.0f} m a side)")
    print(
        f"index build: {build_s:.2f} s  (raster {index._nx}x{index._ny} = {ncells:,} cells, "
        f"{index.edge_cell_count:,} edge cells = {index.edge_cell_count / ncells:.1%}, "
        f"{index._codes.nbytes / 2**20:.1f} MiB)"
    )

    # Random points over the extent and a margin around it (about 4% fall outside every grid).
    rng = np.random.default_rng(args.seed + 1)
    span = side * CELL
    xs = rng.uniform(ORIGIN[0] - 0.01 * span, ORIGIN[0] + 1.01 * span, args.points)
    ys = rng.uniform(ORIGIN[1] - 0.01 * span, ORIGIN[1] + 1.01 * span, args.points)
    gx, gy = geo.wgs84_to_gcj02_np(xs, ys)

    check = min(args.points, 200_000)
    expected = reference(index, xs[:check], ys[:check])
    got = index.locate_many(xs[:check], ys[:check])
    few = min(check, 20_000)
    singles = [index.locate(x, y) for x, y in zip(xs[:few].tolist(), ys[:few].tolist(), strict=True)]
    agree = np.array_equal(got, expected) and singles == expected[:few].tolist()
    print(f"answers agree with a plain STRtree query on {check:,} points: {'yes' if agree else 'NO'}")
    u = ((xs - index._x0) * index._scale).astype(np.int64).clip(0, index._nx - 1)
    v = ((ys - index._y0) * index._scale).astype(np.int64).clip(0, index._ny - 1)
    in_edge_cell = index._codes[v * index._nx + u] <= -2
    print(
        f"where the time goes: {1 - in_edge_cell.mean():.1%} of the points are answered by one raster read, "
        f"{in_edge_cell.mean():.1%} fall in edge cells and are tested exactly against their candidates"
    )

    lookup = public_api(index)

    def batch_rate(fn) -> tuple[float, list[float]]:
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return args.points / statistics.median(times), times

    rate, times = batch_rate(lambda: index.locate_many(xs, ys))
    print(
        f"\nbatch, {args.points:,} points, median of {args.runs} runs "
        f"({', '.join(f'{t * 1000:.0f}' for t in times)} ms):"
    )
    print(f"  GridIndex.locate_many                 {rate:>12,.0f} points/s")
    api_rate = rate
    if lookup:
        api_rate, _ = batch_rate(lambda: lookup.find_grids(xs, ys))
        print(f"  find_grids (public API, WGS84)        {api_rate:>12,.0f} points/s")
        gcj_rate, _ = batch_rate(lambda: lookup.find_grids(gx, gy, crs="gcj02"))
        print(
            f"  find_grids (public API, GCJ-02 input) {gcj_rate:>12,.0f} points/s  (with the inverse conversion)"
        )
    t0 = time.perf_counter()
    index.tree.query(shapely.points(xs, ys), predicate="intersects")
    strtree_rate = args.points / (time.perf_counter() - t0)
    print(
        f"  for comparison, plain STRtree.query   {strtree_rate:>12,.0f} points/s  (points made + 'intersects')"
    )

    n = min(args.single, args.points)
    sx, sy = xs[:n].tolist(), ys[:n].tolist()
    rows = [("GridIndex.locate", per_call_us(index.locate, sx, sy))]
    if lookup:
        gcj_x, gcj_y = gx[:n].tolist(), gy[:n].tolist()
        rows.append(("find_grid (public API, WGS84)", per_call_us(lookup.find_grid, sx, sy)))
        rows.append(
            (
                "find_grid (public API, GCJ-02)",
                per_call_us(lambda x, y: lookup.find_grid(x, y, crs="gcj02"), gcj_x, gcj_y),
            )
        )
    edge = in_edge_cell[:n]
    rows.insert(1, ("  of which raster read only", rows[0][1][~edge]))
    rows.insert(2, ("  of which exact test (edge cell)", rows[0][1][edge]))
    noop = per_call_us(lambda x, y: None, sx, sy)
    print(
        f"\nsingle point, {n:,} calls each, µs per call (timer overhead ~{np.median(noop):.2f} µs included):"
    )
    for label, sample in rows:
        print(
            f"  {label:32s} median {np.median(sample):6.2f}   p99 {np.percentile(sample, 99):6.2f}   "
            f"mean {sample.mean():6.2f}"
        )

    which, single = rows[3] if lookup else rows[0]
    single_p99 = float(np.percentile(single, 99))
    batch_name = "find_grids" if lookup else "GridIndex.locate_many"
    print("\ntargets:")
    print(
        f"  batch  >= 1,000,000 points/s ({batch_name}): {api_rate:,.0f}  "
        f"{'MET' if api_rate >= 1_000_000 else 'MISSED'}"
    )
    print(
        f"  single < 20 µs ({which}, median / p99): {np.median(single):.2f} / {single_p99:.2f} µs  "
        f"{'MET' if single_p99 < 20 else 'MISSED'}"
    )


def public_api(index: GridIndex):
    """civicgrid.areas.lookup with its process cache warmed with this index (no database touched).

    Returns None, saying why, when Django cannot be set up here.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civicgrid.settings")
    try:
        import django

        django.setup()
        from civicgrid.areas import lookup
    except Exception as exc:  # report it, and measure the index alone
        print(f"(Django could not be set up, so only GridIndex is measured: {exc!r})")
        return None
    records = [
        lookup.GridRecord(i, f"G{i:05d}", f"grid {i}", "N", "C", "community", "S", "street")
        for i in range(index.size)
    ]
    ids = np.array([r.id + 1000 for r in records] + [-1], dtype=np.int64)
    lookup.grid_cache._loaded = lookup._Loaded(("bench",), index, records, ids)
    lookup.grid_cache._checked_at = time.monotonic()
    lookup.grid_cache.check_seconds = float("inf")
    return lookup


if __name__ == "__main__":
    main()
