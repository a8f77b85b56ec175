"""The staff board's route map: a shipped outline of the lower 48 states and a projection.

The outline is the union of the US time zones' polygons that timezonefinder ships, projected
with the Albers equal-area conic the US Census uses, simplified, and stored as SVG path data in
events/static/events/us_outline.json. Pages draw it inline, so the map needs no tile server,
no network and no JavaScript. Regenerate the file (rarely: borders do not move) with

    python -m events.board_map

This module imports nothing from Django; selectors turn events into points with `project`.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

OUTLINE_PATH = Path(__file__).resolve().parent / "static" / "events" / "us_outline.json"

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


if __name__ == "__main__":
    OUTLINE_PATH.write_text(json.dumps(build_outline(), separators=(",", ":")) + "\n")
    print(f"Wrote {OUTLINE_PATH} ({OUTLINE_PATH.stat().st_size // 1024} KiB)")
