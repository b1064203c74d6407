"""Offline maps: area shapes and building points drawn as inline SVG on the server.

No tiles, no script, no assets: GeoJSON (WGS84) is projected with a plain equirectangular projection
scaled by cos(latitude), which is true to within a fraction of a percent over a street or a district.
Each shape is a link (when the viewer may open it) with a <title> that screen readers and hover show.

Usage in a template:  {% load area_maps %}{% area_map shapes points=buildings highlight=mine %}
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

WIDTH = 1000.0  # viewBox width; the height follows the area's aspect ratio
MAX_HEIGHT = 1400.0
PAD = 0.03  # margin around the drawing, as a share of its size
LABEL_MAX = 30.0  # font size (viewBox units) of a label in a roomy shape
LABEL_MIN = 11.0  # below this a label only shows its short code
FOCUS_MARGIN = 0.12  # around the focused areas, as a share of their extent
TILE_SIZE = 256  # pixels of a web-map tile
MAX_TILES = 36  # at most this many background tiles on one map


def _rings(geometry: dict | None) -> list[list[list[float]]]:
    """All rings (outer and holes) of a Polygon or MultiPolygon; nothing for other types."""
    if not geometry:
        return []
    kind = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if kind == "Polygon":
        return [ring for ring in coords if ring]
    if kind == "MultiPolygon":
        return [ring for polygon in coords for ring in polygon if ring]
    return []


def _outer_rings(geometry: dict | None) -> list[list[list[float]]]:
    if not geometry:
        return []
    if geometry.get("type") == "Polygon":
        return (geometry.get("coordinates") or [])[:1]
    if geometry.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in geometry.get("coordinates") or [] if polygon]
    return []


class Projection:
    """Equirectangular projection of a lng/lat box onto the SVG viewBox (y grows downwards)."""

    def __init__(self, lngs: list[float], lats: list[float], pad: float = PAD):
        min_lng, max_lng, min_lat, max_lat = min(lngs), max(lngs), min(lats), max(lats)
        self.k = math.cos(math.radians((min_lat + max_lat) / 2))
        span_x = max((max_lng - min_lng) * self.k, 1e-6)
        span_y = max(max_lat - min_lat, 1e-6)
        # Pad, then scale the larger side into the viewBox.
        pad = pad * max(span_x, span_y)
        self.x0 = min_lng * self.k - pad
        self.y0 = max_lat + pad
        span_x += 2 * pad
        span_y += 2 * pad
        self.scale = min(WIDTH / span_x, MAX_HEIGHT / span_y)
        self.width = span_x * self.scale
        self.height = span_y * self.scale

    def xy(self, lng: float, lat: float) -> tuple[float, float]:
        return (lng * self.k - self.x0) * self.scale, (self.y0 - lat) * self.scale

    def lnglat(self, x: float, y: float) -> tuple[float, float]:
        return (x / self.scale + self.x0) / self.k, self.y0 - y / self.scale


def _tile_lng(x: int, z: int) -> float:
    return x / 2**z * 360.0 - 180.0


def _tile_lat(y: int, z: int) -> float:
    return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / 2**z))))


def _tile_xy(lng: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    lat = max(min(lat, 85.0511), -85.0511)
    x = int((lng + 180.0) / 360.0 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def _tiles(projection: Projection, url: str) -> list[str]:
    """Background <image>s from a web-map tile server (only when CIVICGRID_TILE_URL is set).

    Each tile is placed by its corners, so the equirectangular drawing and the Web Mercator tiles
    agree at every tile edge; over a street or a district the difference inside a tile is invisible.
    Tiles are WGS84-addressed: a server of GCJ-02 tiles (most Chinese map providers) would be offset.
    """
    west, north = projection.lnglat(0, 0)
    east, south = projection.lnglat(projection.width, projection.height)
    span = max(east - west, 1e-9)
    zoom = max(1, min(19, round(math.log2(360.0 * projection.width / TILE_SIZE / span))))
    while True:
        x0, y0 = _tile_xy(west, north, zoom)
        x1, y1 = _tile_xy(east, south, zoom)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES or zoom <= 1:
            break
        zoom -= 1
    images = []
    for tx in range(x0, x1 + 1):
        for ty in range(y0, y1 + 1):
            left, top = projection.xy(_tile_lng(tx, zoom), _tile_lat(ty, zoom))
            right, bottom = projection.xy(_tile_lng(tx + 1, zoom), _tile_lat(ty + 1, zoom))
            href = url.replace("{z}", str(zoom)).replace("{x}", str(tx)).replace("{y}", str(ty))
            images.append(
                f'<image class="tile" href="{escape(href)}" x="{left:.1f}" y="{top:.1f}" '
                f'width="{right - left:.1f}" height="{bottom - top:.1f}" preserveAspectRatio="none"/>'
            )
    return images


def _path_data(projection: Projection, geometry: dict) -> str:
    parts = []
    for ring in _rings(geometry):
        points = [projection.xy(pt[0], pt[1]) for pt in ring]
        parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _centroid_and_box(projection: Projection, geometry: dict) -> tuple[float, float, float, float, float]:
    """Label point (area-weighted centroid of the largest outer ring), that ring's projected width and
    height, and its top edge."""
    best = None
    for ring in _outer_rings(geometry):
        pts = [projection.xy(pt[0], pt[1]) for pt in ring]
        twice_area = cx = cy = 0.0
        for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1], strict=True):
            cross = x1 * y2 - x2 * y1
            twice_area += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        if abs(twice_area) > 1e-9:
            cx, cy = cx / (3 * twice_area), cy / (3 * twice_area)
        else:
            cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
        size = abs(twice_area)
        if best is None or size > best[0]:
            best = (size, cx, cy, max(xs) - min(xs), max(ys) - min(ys), min(ys))
    if best is None:
        return 0.0, 0.0, 0.0, 0.0, 0.0
    return best[1:]


def _label_point(projection: Projection, area, geometry: dict) -> tuple[float, float, float, float, float]:
    cx, cy, w, h, top = _centroid_and_box(projection, geometry)
    if area.lng is not None and area.lat is not None:
        cx, cy = projection.xy(area.lng, area.lat)
    return cx, cy, w, h, top


def _text_width(text: str) -> float:
    """Rough width of a label in ems: CJK characters are one em, others about half."""
    return sum(1.0 if ord(ch) > 0x2E80 else 0.58 for ch in text)


def short_code(area) -> str:
    """The part of the code that its parent's code doesn't already say (a grid's 3-digit serial)."""
    parent_code = area.path.rstrip("/").split("/")[-2] if area.path.count("/") > 1 else ""
    if parent_code and area.code.startswith(parent_code) and len(area.code) > len(parent_code):
        return area.code[len(parent_code) :]
    return area.code


def _href(area, url_name: str = "areas:detail") -> str:
    return reverse(url_name, args=[area.code])


def render_map(
    shapes: Iterable,
    *,
    points: Iterable = (),
    outlines: Iterable = (),
    highlight: Iterable[str] = (),
    linkable: Iterable[str] | None = None,
    focus: Iterable | None = None,
    label: str = "",
    tile_url: str = "",
    fills: dict[str, tuple[str, str]] | None = None,
    href_name: str = "areas:detail",
) -> SafeString:
    """Draw `shapes` (areas with a GeoJSON shape), `points` (buildings with lng/lat) and `outlines`
    (areas drawn as unlabelled borders, e.g. communities on a street map) as one inline SVG.

    `linkable` is the set of codes the viewer may open (None: all); the other shapes are drawn as
    plain grey context, without label or link; points the viewer may not open are left out. Codes in
    `highlight` are marked as the viewer's own. `focus` (areas or points) frames the map on them, with
    the rest cut at the edge. `tile_url` ("https://tiles.example/{z}/{x}/{y}.png") draws web-map tiles
    underneath; it is empty by default, and then nothing is fetched from anywhere. `fills` maps a
    code to (CSS class, text added to its title): a thematic map, e.g. the five-colour map;
    `href_name` is the URL name (taking the area code) a shape links to.
    Returns an empty string when nothing has coordinates.
    """
    shapes = [a for a in shapes if _rings(a.shape)]
    outlines = [a for a in outlines if _rings(a.shape)]
    points = [p for p in points if p.lng is not None and p.lat is not None]
    highlight = set(highlight)
    linkable = None if linkable is None else set(linkable)
    if linkable is not None:
        points = [p for p in points if p.code in linkable]
    framed = list(focus) if focus is not None else [*shapes, *outlines, *points]
    lngs: list[float] = []
    lats: list[float] = []
    for item in framed:
        for ring in _rings(item.shape):
            lngs.extend(pt[0] for pt in ring)
            lats.extend(pt[1] for pt in ring)
        if not _rings(item.shape) and item.lng is not None and item.lat is not None:
            lngs.append(item.lng)
            lats.append(item.lat)
    if not lngs or not (shapes or points):
        return mark_safe("")
    projection = Projection(lngs, lats, FOCUS_MARGIN if focus is not None else PAD)
    projected_points = [projection.xy(p.lng, p.lat) for p in points]

    def may_open(area) -> bool:
        return linkable is None or area.code in linkable

    aria_label = label or _("Map")
    other_area = _("Other area")
    out = [
        f'<svg class="map" viewBox="0 0 {projection.width:.0f} {projection.height:.0f}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(aria_label)}">'
    ]
    if label:
        out.append(f"<title>{escape(label)}</title>")
    if tile_url:
        out.extend(_tiles(projection, tile_url))
    labels = []
    for area in shapes:
        d = _path_data(projection, area.shape)
        if not may_open(area):
            out.append(f'<path class="area context" d="{d}"><title>{escape(other_area)}</title></path>')
            continue
        classes = ["area", area.level]
        if area.kind:
            classes.append(area.kind)
        if area.code in highlight:
            classes.append("mine")
        fill = (fills or {}).get(area.code)
        if fill:
            classes.append(fill[0])
        title = f"{area.name} · {area.code}"
        if area.kind:
            title += f" · {area.get_kind_display()}"
        if area.households_count:
            count = area.households_count
            households = ngettext("%(count)s household", "%(count)s households", count) % {"count": count}
            title += f" · {households}"
        if fill and fill[1]:
            title += f" · {fill[1]}"
        out.append(
            f'<a href="{escape(_href(area, href_name))}" data-code="{escape(area.code)}" class="{" ".join(classes)}">'
            f'<path d="{d}"><title>{escape(title)}</title></path></a>'
        )
        labels.append(area)
    for area in outlines:
        out.append(f'<path class="outline" d="{_path_data(projection, area.shape)}"/>')
    # Labels go last so no shape covers them; they ignore the pointer, clicks reach the shape below.
    for area in labels:
        cx, cy, w, h, top = _label_point(projection, area, area.shape)
        code = short_code(area)
        name_size = min(LABEL_MAX, 0.75 * w / max(_text_width(area.name), 1), 0.3 * h)
        mine = " mine" if area.code in highlight else ""
        if any(abs(x - cx) < w / 2 and top <= y <= top + h for x, y in projected_points):
            # Buildings inside: put the label near the top edge, out of their way.
            cy = top + 0.06 * h + 1.1 * name_size
        if name_size >= LABEL_MIN:
            code_size = max(LABEL_MIN, 0.8 * name_size)
            out.append(
                f'<text class="label{mine}" x="{cx:.1f}" y="{cy - 0.55 * name_size:.1f}" font-size="{name_size:.1f}">'
                f"{escape(area.name)}"
                f'<tspan class="code" x="{cx:.1f}" dy="{1.15 * name_size:.1f}" font-size="{code_size:.1f}">'
                f"{escape(code)}{' · ' + escape(area.kind) if area.kind else ''}</tspan></text>"
            )
        else:
            size = min(LABEL_MAX, max(LABEL_MIN * 0.8, 0.9 * w / max(_text_width(code), 1)))
            out.append(
                f'<text class="label{mine}" x="{cx:.1f}" y="{cy:.1f}" font-size="{size:.1f}">{escape(code)}</text>'
            )
    radius = max(4.0, min(9.0, projection.width / 120))
    for point, (x, y) in zip(points, projected_points, strict=True):
        mine = " mine" if point.code in highlight else ""
        out.append(
            f'<a href="{escape(_href(point))}" class="point{mine}" data-code="{escape(point.code)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"><title>{escape(point.name)} · '
            f"{escape(point.code)}</title></circle></a>"
        )
    out.append("</svg>")
    return mark_safe("".join(out))


@register.simple_tag
def area_map(
    shapes,
    points=(),
    outlines=(),
    highlight=(),
    linkable=None,
    focus=None,
    label="",
    tile_url="",
    fills=None,
    href_name="areas:detail",
):
    return render_map(
        shapes or (),
        points=points or (),
        outlines=outlines or (),
        highlight=highlight or (),
        linkable=linkable,
        focus=focus,
        label=label,
        tile_url=tile_url,
        fills=fills,
        href_name=href_name,
    )
