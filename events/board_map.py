"""The staff board's route map: a shipped outline of the lower 48 states, state shapes for
tour regions, and a projection.

The outline is the union of the US time zones' polygons that timezonefinder ships, projected
with the Albers equal-area conic the US Census uses, simplified, and stored as SVG path data in
events/static/events/us_outline.json. Pages draw it inline, so the map needs no tile server,
no network and no JavaScript. A tour's region is drawn from events/static/events/
us_state_hulls.json (per state, the convex hull of its ZIP codes' centres from the `zipcodes`
package: an approximate shape, enough to see which states a region covers) and from a circle
of the region's radius around the start. Regenerate both files (rarely: borders do not move)
with

    python -m events.board_map

This module imports nothing from Django; selectors turn events into points with `project`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

OUTLINE_PATH = Path(__file__).resolve().parent / "static" / "events" / "us_outline.json"
STATE_HULLS_PATH = OUTLINE_PATH.with_name("us_state_hulls.json")
EARTH_RADIUS_KM = 6371.0088

# Albers equal-area conic for the conterminous US (standard parallels 29.5°N and 45.5°N).
_PHI1, _PHI2, _PHI0, _LAMBDA0 = map(math.radians, (29.5, 45.5, 37.5, -96.0))
_N = (math.sin(_PHI1) + math.sin(_PHI2)) / 2
_C = math.cos(_PHI1) ** 2 + 2 * _N * math.sin(_PHI1)
_RHO0 = math.sqrt(_C - 2 * _N * math.sin(_PHI0)) / _N

# The zones whose polygons together cover the lower 48 states (Alaska and Hawaii would shrink
# the mainland to a sliver on a laptop screen, and tours do not go there).
LOWER_48_ZONES = (
    "America/New_York",
    "America/Detroit",
    "America/Chicago",
    "America/Denver",
    "America/Boise",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Menominee",
    "America/Indiana/Indianapolis",
    "America/Indiana/Knox",
    "America/Indiana/Marengo",
    "America/Indiana/Petersburg",
    "America/Indiana/Tell_City",
    "America/Indiana/Vevay",
    "America/Indiana/Vincennes",
    "America/Indiana/Winamac",
    "America/Kentucky/Louisville",
    "America/Kentucky/Monticello",
    "America/North_Dakota/Beulah",
    "America/North_Dakota/Center",
    "America/North_Dakota/New_Salem",
)
# The lower 48 and DC (the outline's states); territories and military codes are left out.
LOWER_48_STATES = frozenset(
    (  # noqa: SIM905 - a list of 49 quoted codes reads worse
        "AL AZ AR CA CO CT DE DC FL GA ID IL IN IA KS KY LA ME MD MA MI MN MS MO "
        "MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY"
    ).split()
)
WIDTH = 960.0
PADDING = 10.0


def albers(latitude: float, longitude: float) -> tuple[float, float]:
    """Unit-sphere Albers coordinates, y pointing north."""
    phi, lam = math.radians(latitude), math.radians(longitude)
    rho = math.sqrt(max(0.0, _C - 2 * _N * math.sin(phi))) / _N
    theta = _N * (lam - _LAMBDA0)
    return rho * math.sin(theta), _RHO0 - rho * math.cos(theta)


@cache
def outline() -> dict:
    """The shipped outline: {"width", "height", "transform": {...}, "paths": [...]}."""
    return json.loads(OUTLINE_PATH.read_text())


def project(latitude: float, longitude: float, shape: dict | None = None) -> tuple[float, float]:
    """Where a point lands in the outline's SVG viewBox (x to the east, y to the south)."""
    transform = (shape or outline())["transform"]
    x, y = albers(latitude, longitude)
    scale = transform["scale"]
    return (
        round((x - transform["min_x"]) * scale + PADDING, 1),
        round((transform["max_y"] - y) * scale + PADDING, 1),
    )


@cache
def state_hulls() -> dict[str, list[tuple[float, float]]]:
    """Per two-letter state code, its approximate outline as (latitude, longitude) points."""
    data = json.loads(STATE_HULLS_PATH.read_text())
    return {state: [(lat, lon) for lat, lon in ring] for state, ring in data.items()}


def circle(
    latitude: float, longitude: float, radius_km: float, steps: int = 72
) -> list[tuple[float, float]]:
    """(latitude, longitude) points at ``radius_km`` (great circle) around a point."""
    phi1, lam1 = math.radians(latitude), math.radians(longitude)
    delta = radius_km / EARTH_RADIUS_KM
    points = []
    for step in range(steps):
        bearing = 2 * math.pi * step / steps
        phi2 = math.asin(
            math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing)
        )
        lam2 = lam1 + math.atan2(
            math.sin(bearing) * math.sin(delta) * math.cos(phi1),
            math.cos(delta) - math.sin(phi1) * math.sin(phi2),
        )
        points.append((round(math.degrees(phi2), 4), round(math.degrees(lam2), 4)))
    return points


def view_box(
    points: list[tuple[float, float]], shape: dict | None = None, min_width: float = 280.0
) -> tuple[float, float, float, float]:
    """A viewBox around the points (zoomed to the route, never tighter than min_width, with
    the outline's proportions), so a regional tour is not a speck on a continent."""
    shape = shape or outline()
    width, height = shape["width"], shape["height"]
    if not points:
        return 0.0, 0.0, width, height
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    aspect = height / width
    box_w = max(min_width, (max(xs) - min(xs)) * 1.3, (max(ys) - min(ys)) * 1.3 / aspect)
    box_w = min(box_w, width)
    box_h = box_w * aspect
    centre_x, centre_y = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    left = min(max(0.0, centre_x - box_w / 2), width - box_w)
    top = min(max(0.0, centre_y - box_h / 2), height - box_h)
    return round(left, 1), round(top, 1), round(box_w, 1), round(box_h, 1)


# A label's width per character, as a share of its font size (a sans-serif's average, with a
# little room), to estimate the box a city name covers on the map.
LABEL_CHAR_WIDTH = 0.6
# Where a stop's label may go, tried in this order: (dx, dy) in units of the dot's radius
# from the stop, and the text anchor. Upper right first, as a map reader expects.
LABEL_SPOTS = (
    (1.0, -1.0, "start"),
    (1.0, 1.8, "start"),
    (-1.0, -1.0, "end"),
    (-1.0, 1.8, "end"),
    (0.0, -1.6, "middle"),
    (0.0, 2.6, "middle"),
    (1.4, 0.5, "start"),
    (-1.4, 0.5, "end"),
)

Box = tuple[float, float, float, float]  # left, top, right, bottom


@dataclass(frozen=True)
class LabelSpot:
    dx: float  # offset of the text's anchor from the stop, in map units
    dy: float
    anchor: str  # SVG text-anchor: start, middle or end


def _label_box(x: float, y: float, text: str, spot: LabelSpot, font: float) -> Box:
    width = max(1, len(text)) * font * LABEL_CHAR_WIDTH
    left = {"start": x + spot.dx, "middle": x + spot.dx - width / 2, "end": x + spot.dx - width}
    baseline = y + spot.dy
    return left[spot.anchor], baseline - font, left[spot.anchor] + width, baseline + font * 0.25


def _overlap(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def place_labels(
    stops: list[tuple[float, float, str]], *, dot: float, font: float
) -> list[LabelSpot]:
    """Where each stop's label goes so that labels of nearby stops do not overlap each other
    or cover another stop's dot: greedily, in the order given, the first of ``LABEL_SPOTS``
    that is clear, else the one that overlaps least. ``dot`` is a stop's radius and ``font``
    the label's size, both in map units."""
    dots = [(x - dot, y - dot, x + dot, y + dot) for x, y, _text in stops]
    placed: list[Box] = []
    out = []
    for index, (x, y, text) in enumerate(stops):
        best: tuple[float, LabelSpot, Box] | None = None
        for dx, dy, anchor in LABEL_SPOTS:
            spot = LabelSpot(round(dx * dot, 2), round(dy * dot, 2), anchor)
            box = _label_box(x, y, text, spot, font)
            covered = sum(_overlap(box, other) for other in placed) + sum(
                _overlap(box, other) for n, other in enumerate(dots) if n != index
            )
            if best is None or covered < best[0]:
                best = (covered, spot, box)
            if covered == 0:
                break
        assert best is not None
        placed.append(best[2])
        out.append(best[1])
    return out


# -- building the outline (only when regenerating the shipped file) --------------------------


def _simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker, iterative so long coastlines cannot exhaust the recursion limit."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1e-12
        worst, worst_index = 0.0, -1
        for index in range(first + 1, last):
            px, py = points[index]
            distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / length
            if distance > worst:
                worst, worst_index = distance, index
        if worst > tolerance:
            keep[worst_index] = True
            stack.extend([(first, worst_index), (worst_index, last)])
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def _area(points: list[tuple[float, float]]) -> float:
    return abs(
        sum(
            x1 * y2 - x2 * y1
            for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True)
        )
        / 2
    )


def build_outline(tolerance_px: float = 1.2, min_area_px: float = 12.0) -> dict:
    """Project, simplify and scale the lower-48 zone polygons into SVG path data."""
    from timezonefinder import TimezoneFinder

    finder = TimezoneFinder()
    rings: list[list[tuple[float, float]]] = []
    for zone in LOWER_48_ZONES:
        for polygon in finder.get_geometry(tz_name=zone, coords_as_pairs=True):
            outer = polygon[0]  # holes are other zones' enclaves, filled by those zones
            rings.append([albers(lat, lon) for lon, lat in outer])
    xs = [x for ring in rings for x, _y in ring]
    ys = [y for ring in rings for _x, y in ring]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    scale = (WIDTH - 2 * PADDING) / (max_x - min_x)
    height = round((max_y - min_y) * scale + 2 * PADDING, 1)
    transform = {"min_x": min_x, "max_y": max_y, "scale": scale}
    paths = []
    for ring in rings:
        screen = [((x - min_x) * scale + PADDING, (max_y - y) * scale + PADDING) for x, y in ring]
        simple = _simplify(screen, tolerance_px)
        if len(simple) < 4 or _area(simple) < min_area_px:
            continue  # specks (small islands) only add bytes
        paths.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in simple) + "Z")
    return {"width": WIDTH, "height": height, "transform": transform, "paths": paths}


def _convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Andrew's monotone chain; counter-clockwise, without repeating the first point."""
    ordered = sorted(set(points))
    if len(ordered) < 3:
        return ordered

    def turn(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for point in ordered:
        while len(lower) >= 2 and turn(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    for point in reversed(ordered):
        while len(upper) >= 2 and turn(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


def build_state_hulls() -> dict[str, list[list[float]]]:
    """Per state, the convex hull of its ZIP codes' centres (hulled on the map's projection, so
    the shape drawn is convex where it is drawn), as [latitude, longitude] pairs."""
    import zipcodes

    by_state: dict[str, list[tuple[float, float]]] = {}
    for row in zipcodes.list_all():
        if not (row.get("lat") and row.get("long")) or row["state"] not in LOWER_48_STATES:
            continue
        lat, lon = float(row["lat"]), float(row["long"])
        # Some rows carry 0,0 for an unknown centre; the lower 48 lie well inside this box.
        if 24.0 <= lat <= 50.0 and -125.0 <= lon <= -66.5:
            by_state.setdefault(row["state"], []).append((lat, lon))
    hulls = {}
    for state, places in sorted(by_state.items()):
        projected = {albers(lat, lon): (lat, lon) for lat, lon in places}
        hulls[state] = [list(projected[p]) for p in _convex_hull(list(projected))]
    return hulls


if __name__ == "__main__":
    OUTLINE_PATH.write_text(json.dumps(build_outline(), separators=(",", ":")) + "\n")
    print(f"Wrote {OUTLINE_PATH} ({OUTLINE_PATH.stat().st_size // 1024} KiB)")
    STATE_HULLS_PATH.write_text(json.dumps(build_state_hulls(), separators=(",", ":")) + "\n")
    print(f"Wrote {STATE_HULLS_PATH} ({STATE_HULLS_PATH.stat().st_size // 1024} KiB)")
