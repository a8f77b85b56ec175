"""Offline geocoding: a US ZIP code to coordinates (zipcodes' shipped dataset) and the
coordinates to an IANA time zone (timezonefinder's shipped polygons). No network call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache

import zipcodes
from timezonefinder import TimezoneFinder


class UnknownZip(ValueError):
    """The ZIP code does not exist, or does not belong to the given state."""


@dataclass(frozen=True)
class Place:
    zip_code: str
    city: str
    state: str
    latitude: float
    longitude: float
    timezone: str


@cache
def _timezone_finder() -> TimezoneFinder:
    return TimezoneFinder()


def timezone_at(latitude: float, longitude: float) -> str:
    """The IANA zone at a point; UTC only for points in the open sea."""
    return _timezone_finder().timezone_at(lat=latitude, lng=longitude) or "UTC"


# zipcodes scans its whole dataset on every lookup (a quarter to half a millisecond, the
# dearest step of checking a submission), while hosts come from a limited set of ZIP codes.
# Places are frozen and the dataset ships with the package, so the memo cannot go stale;
# unknown codes raise, and exceptions are not memoised.
@lru_cache(maxsize=4096)
def locate_zip(zip_code: str, state: str | None = None) -> Place:
    """Look a five-digit ZIP code up; with `state`, also check that it lies in that state."""
    code = (zip_code or "").strip()[:5]
    try:
        matches = zipcodes.matching(code)
    except (TypeError, ValueError) as exc:
        raise UnknownZip(f"{zip_code!r} is not a US ZIP code.") from exc
    if not matches:
        raise UnknownZip(f"ZIP code {code} does not exist.")
    match = matches[0]
    if state and match["state"] != state.upper():
        raise UnknownZip(f"ZIP code {code} is in {match['state']}, not {state.upper()}.")
    latitude, longitude = float(match["lat"]), float(match["long"])
    return Place(
        zip_code=code,
        city=match["city"],
        state=match["state"],
        latitude=latitude,
        longitude=longitude,
        timezone=timezone_at(latitude, longitude),
    )
