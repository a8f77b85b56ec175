"""Offline geocoding: a US ZIP code to coordinates (zipcodes' shipped dataset) and the
coordinates to an IANA time zone (timezonefinder's shipped polygons). No network call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

import zipcodes
from timezonefinder import TimezoneFinder


class UnknownZip(ValueError):
    """The ZIP code does not exist, or does not belong to the given state."""


# Five ASCII digits, optionally ZIP+4. Checked before zipcodes sees the text: its native code
# panics on other Unicode digits (full-width "６０６０１", Arabic-Indic "١"), and str.isdigit()
# or a plain \d would let those through.
_ZIP_SHAPE = re.compile(r"^[0-9]{5}(-[0-9]{4})?$", re.ASCII)


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
    text = zip_code.strip() if isinstance(zip_code, str) else ""
    if not _ZIP_SHAPE.match(text):
        raise UnknownZip(f"{zip_code!r} is not a US ZIP code.")
    code = text[:5]
    try:
        matches = zipcodes.matching(code)
    except (TypeError, ValueError) as exc:
        raise UnknownZip(f"{zip_code!r} is not a US ZIP code.") from exc
    except BaseException as exc:
        # A panic in the library's native code is a BaseException (pyo3's PanicException), not
        # an Exception; only that one is turned into "unknown", everything else goes on up.
        if type(exc).__name__ != "PanicException":
            raise
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
