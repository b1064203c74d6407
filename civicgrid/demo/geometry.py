"""A plausible street plan: a jittered lattice of roads whose cells are the grids.

Every area above a grid is a rectangular block of lattice cells, and every ring is traced along
the same lattice vertices and road mid-points, so children tile their parent exactly: no gaps,
no overlaps, valid polygons at every level. Buildings are points placed inside their cell.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

# Block of cells: columns c0 <= c < c1, rows r0 <= r < r1 (row 0 is the south edge).
Block = tuple[int, int, int, int]


def _round(v: float) -> float:
    return round(v, 6)  # ~0.1 m


@dataclass
class Lattice:
    cols: int
    rows: int
    vertices: list[list[tuple[float, float]]]  # [c][r], (cols+1) x (rows+1)
    h_mid: list[list[tuple[float, float]]]  # [c][r]: mid-point of the road from (c, r) to (c+1, r)
    v_mid: list[list[tuple[float, float]]]  # [c][r]: mid-point of the road from (c, r) to (c, r+1)

    def ring(self, block: Block) -> list[list[float]]:
        """The closed counter-clockwise ring around a block of cells."""
        c0, r0, c1, r1 = block
        V, H, M = self.vertices, self.h_mid, self.v_mid
        points: list[tuple[float, float]] = []
        for c in range(c0, c1):  # south edge, west to east
            points += [V[c][r0], H[c][r0]]
        for r in range(r0, r1):  # east edge, south to north
            points += [V[c1][r], M[c1][r]]
        for c in range(c1, c0, -1):  # north edge, east to west
            points += [V[c][r1], H[c - 1][r1]]
        for r in range(r1, r0, -1):  # west edge, north to south
            points += [V[c0][r], M[c0][r - 1]]
        points.append(V[c0][r0])
        return [[x, y] for x, y in points]

    def polygon(self, block: Block) -> dict:
        return {"type": "Polygon", "coordinates": [self.ring(block)]}

    def point_in_cell(self, c: int, r: int, u: float, v: float) -> tuple[float, float]:
        """The point at (u, v) in [0, 1]² of cell (c, r), by bilinear interpolation of its corners."""
        V = self.vertices
        (x00, y00), (x10, y10) = V[c][r], V[c + 1][r]
        (x01, y01), (x11, y11) = V[c][r + 1], V[c + 1][r + 1]
        x = (1 - u) * (1 - v) * x00 + u * (1 - v) * x10 + (1 - u) * v * x01 + u * v * x11
        y = (1 - u) * (1 - v) * y00 + u * (1 - v) * y10 + (1 - u) * v * y01 + u * v * y11
        return _round(x), _round(y)


def make_lattice(
    rng: random.Random, cols: int, rows: int, centre: tuple[float, float], cell_m: float = 240.0
) -> Lattice:
    """Roads about `cell_m` metres apart around `centre` (lng, lat), jittered, with bent mid-points."""
    lng0, lat0 = centre
    cell_h = cell_m / 111_320.0
    cell_w = cell_m / (111_320.0 * math.cos(math.radians(lat0)))
    xs, ys = [0.0], [0.0]
    for _ in range(cols):
        xs.append(xs[-1] + cell_w * rng.uniform(0.8, 1.25))
    for _ in range(rows):
        ys.append(ys[-1] + cell_h * rng.uniform(0.8, 1.25))
    x_off, y_off = lng0 - xs[-1] / 2, lat0 - ys[-1] / 2
    vertices = [
        [
            (
                _round(x_off + xs[c] + rng.uniform(-0.15, 0.15) * cell_w),
                _round(y_off + ys[r] + rng.uniform(-0.15, 0.15) * cell_h),
            )
            for r in range(rows + 1)
        ]
        for c in range(cols + 1)
    ]

    def bent(a, b):
        (ax, ay), (bx, by) = a, b
        dx, dy = bx - ax, by - ay
        bend = rng.uniform(-0.06, 0.06)  # across the road, as a share of its length
        return _round((ax + bx) / 2 - dy * bend), _round((ay + by) / 2 + dx * bend)

    h_mid = [[bent(vertices[c][r], vertices[c + 1][r]) for r in range(rows + 1)] for c in range(cols)]
    v_mid = [[bent(vertices[c][r], vertices[c][r + 1]) for r in range(rows)] for c in range(cols + 1)]
    return Lattice(cols, rows, vertices, h_mid, v_mid)


def partition(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split into `parts` positive integers as even as possible, the remainder spread at random."""
    base, extra = divmod(total, parts)
    sizes = [base] * parts
    for i in rng.sample(range(parts), extra):
        sizes[i] += 1
    return sizes


def split_block(block: Block, n: int, rng: random.Random) -> list[Block]:
    """Split a block into `n` smaller blocks: strips from north to south, each cut west to east.

    Strips may hold different numbers of blocks, so boundaries don't all line up, as in a real
    street plan. Needs n <= the number of cells.
    """
    c0, r0, c1, r1 = block
    width, height = c1 - c0, r1 - r0
    if not 1 <= n <= width * height:
        raise ValueError(f"cannot split {width}x{height} cells into {n} blocks")
    strips = max(1, min(height, n, round(math.sqrt(n * height / width))))
    while math.ceil(n / strips) > width:
        strips += 1
    counts = partition(n, strips, rng)
    heights = partition(height, strips, rng)
    blocks: list[Block] = []
    top = r1
    for count, strip_height in zip(counts, heights, strict=True):
        left = c0
        for strip_width in partition(width, count, rng):
            blocks.append((left, top - strip_height, left + strip_width, top))
            left += strip_width
        top -= strip_height
    return blocks


def cells(block: Block) -> list[tuple[int, int]]:
    """The cells of a block in reading order (north-west first)."""
    c0, r0, c1, r1 = block
    return [(c, r) for r in range(r1 - 1, r0 - 1, -1) for c in range(c0, c1)]


def building_spots(n: int, rng: random.Random) -> list[tuple[float, float]]:
    """`n` (u, v) positions spread over a cell, kept clear of its roads."""
    across = math.ceil(math.sqrt(n))
    down = math.ceil(n / across)
    spots = []
    for i in range(n):
        row, col = divmod(i, across)
        u = 0.2 + 0.6 * (col + 0.5 + rng.uniform(-0.25, 0.25)) / across
        v = 0.8 - 0.6 * (row + 0.5 + rng.uniform(-0.25, 0.25)) / down
        spots.append((u, v))
    return spots
