"""Local wall-clock times: the one home of the rules for dates, times and zone names people type.

Every door that takes a local time (host windows in the form, the API and the CSV import, the
board's booking and move, the admin's event form) reads it through this module, so they all
refuse the same things with the same words:

- a zone name must be a real IANA zone ("America" is a folder of the zone database, not a zone);
- a date that does not exist (29 February 2027) is "no such date", not "wrong format";
- a time that does not exist that day (02:30 on 14 March 2027 in America/Chicago, when clocks
  jump from 02:00 to 03:00) is refused, saying what happened to the clocks;
- a time that happens twice (01:30 on 7 November 2027 in America/Chicago, when clocks go back)
  is not guessed: the caller must say which one is meant (earlier or later, i.e. datetime's
  `fold`), and the message names both offsets.

Forms and serializers raise these as field errors; nothing here touches the database.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

EARLIER, LATER = "earlier", "later"
OCCURRENCE_CHOICES = [
    ("", gettext_lazy("Not needed")),
    (EARLIER, gettext_lazy("The earlier one (before clocks go back)")),
    (LATER, gettext_lazy("The later one (after clocks go back)")),
]
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$", re.ASCII)


@cache
def zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone_name(name: object) -> bool:
    return isinstance(name, str) and name in zone_names()


def validate_zone_name(value: str) -> None:
    """Model and form validator for IANA zone fields."""
    if not is_zone_name(value):
        raise ValidationError(
            _("%(value)s is not a time zone; use a name such as America/Chicago."),
            code="invalid_zone",
            params={"value": str(value)[:64]},
        )


def no_such_date(text: str) -> str | None:
    """The message for text shaped like a date (YYYY-MM-DD) that names a day no calendar has,
    else None (the caller then reports its usual "wrong format")."""
    match = _ISO_DATE.match(str(text))
    if not match:
        return None
    year, month, day = (int(part) for part in match.groups())
    if not 1 <= month <= 12:
        return _("No such date: there is no month %(month)d.") % {"month": month}
    if year < 1:
        return _("No such date: years start at 1.")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return _("No such date: %(month)s %(year)d has %(days)d days.") % {
            "month": date_format(dt.date(year, month, 1), "F"),
            "year": year,
            "days": last,
        }
    return None


def _day_text(day: dt.date) -> str:
    return date_format(day, "j F Y")


def _offset_text(moment: dt.datetime) -> str:
    offset = moment.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"{moment.tzname()}, UTC{sign}{hours:02d}:{rest:02d}"


def check_wall_time(day: dt.date, time: dt.time, zone: str) -> str | None:
    """ "gap", "twice" or None: whether this wall-clock time is missing or repeated that day."""
    tz = ZoneInfo(zone)
    first = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), tzinfo=tz)
    second = first.replace(fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    # Across a jump forward, fold=0 uses the offset before it: converting to UTC and back
    # lands on a different wall-clock time, so this one never shows on any clock.
    round_trip = first.astimezone(dt.UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) != first.replace(tzinfo=None):
        return "gap"
    return "twice"


def missing_time_message(day: dt.date, time: dt.time, zone: str) -> str:
    tz = ZoneInfo(zone)
    before = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), tzinfo=tz)
    jump = before.astimezone(dt.UTC).astimezone(tz)
    return _(
        "%(time)s does not exist on %(day)s in %(zone)s: clocks jump forward an hour that "
        "night (daylight saving time), so %(time)s becomes %(after)s. Choose another time."
    ) % {
        "time": f"{time:%H:%M}",
        "day": _day_text(day),
        "zone": zone,
        "after": f"{jump:%H:%M}",
    }


def repeated_time_message(day: dt.date, time: dt.time, zone: str) -> str:
    tz = ZoneInfo(zone)
    first = dt.datetime.combine(day, time.replace(tzinfo=None, fold=0), tzinfo=tz)
    return _(
        "%(time)s happens twice on %(day)s in %(zone)s, because clocks go back an hour that "
        "night. Say which one you mean: the earlier (%(earlier)s) or the later (%(later)s)."
    ) % {
        "time": f"{time:%H:%M}",
        "day": _day_text(day),
        "zone": zone,
        "earlier": _offset_text(first),
        "later": _offset_text(first.replace(fold=1)),
    }


# Dates the product takes at all: far beyond any tour, well inside what datetimes can hold.
MIN_YEAR, MAX_YEAR = 1900, 2999


def aware(day: dt.date, time: dt.time, zone: str, *, occurrence: str | None = None) -> dt.datetime:
    """The moment (in UTC) a person means by a wall-clock time on a day in a zone.

    Raises ValidationError when the time does not exist that day, or when it happens twice and
    `occurrence` (EARLIER or LATER) does not say which, or for a day at the very ends of the
    calendar (years 1 and 9999), where a zone's offset leaves the range of dates.
    """
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationError(
            _("Choose a date between the years %(first)d and %(last)d.")
            % {"first": MIN_YEAR, "last": MAX_YEAR},
            code="date_out_of_range",
        )
    problem = check_wall_time(day, time, zone)
    if problem == "gap":
        raise ValidationError(missing_time_message(day, time, zone), code="nonexistent_time")
    if problem == "twice" and occurrence not in (EARLIER, LATER):
        raise ValidationError(repeated_time_message(day, time, zone), code="ambiguous_time")
    fold = 1 if occurrence == LATER and problem == "twice" else 0
    local = dt.datetime.combine(day, time.replace(tzinfo=None, fold=fold), tzinfo=ZoneInfo(zone))
    # In UTC: arithmetic and comparisons between two times of one zone ignore `fold`.
    return local.astimezone(dt.UTC)


def daily_time_problems(
    start_date: dt.date, end_date: dt.date, time: dt.time, zone: str, *, max_days: int = 400
) -> str | None:
    """For a time meant on every day of a date range (a host's window): the message for the
    first day on which it does not exist or happens twice, else None."""
    day, checked = start_date, 0
    while day <= end_date and checked < max_days:
        problem = check_wall_time(day, time, zone)
        if problem == "gap":
            return missing_time_message(day, time, zone)
        if problem == "twice":
            return (
                repeated_time_message(day, time, zone)
                + " "
                + _("For a window over several days, choose a time outside that hour.")
            )
        if day == dt.date.max:
            break
        day += dt.timedelta(days=1)
        checked += 1
    return None


# -- field classes for the doors ---------------------------------------------------------------


class DateField(forms.DateField):
    """A form date field that tells "no such date" apart from a wrong format."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            message = no_such_date(value) if isinstance(value, str) else None
            if message:
                raise ValidationError(message, code="no_such_date") from None
            raise


class ApiDateField(serializers.DateField):
    """The API's date field with the same "no such date" message."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except serializers.ValidationError:
            message = no_such_date(value) if isinstance(value, str) else None
            if message:
                raise serializers.ValidationError(message, code="no_such_date") from None
            raise


class ApiDateTimeField(serializers.DateTimeField):
    """An API date-time: with an offset it is that moment; without one it stays naive, for the
    serializer to read as the venue's wall clock through `aware` (see wall_clock_to_aware)."""

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            return value
        return super().enforce_timezone(value)


def api_occurrence_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=[EARLIER, LATER],
        required=False,
        write_only=True,
        help_text="For a local time without an offset that happens twice (clocks going back): "
        "which one is meant.",
    )


def wall_clock_to_aware(attrs: dict, names: tuple[str, ...], zone: str) -> None:
    """Replace naive values in `attrs` by the moments they mean in `zone`, or raise the API's
    field errors."""
    errors = {}
    for name in names:
        value = attrs.get(name)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            try:
                attrs[name] = aware(
                    value.date(), value.time(), zone, occurrence=attrs.get("occurrence")
                )
            except ValidationError as exc:
                errors[name] = exc.messages
    attrs.pop("occurrence", None)
    if errors:
        raise serializers.ValidationError(errors)


def occurrence_field() -> forms.ChoiceField:
    """The question a form asks when a time happens twice (clocks going back)."""
    return forms.ChoiceField(
        label=gettext_lazy("If the time happens twice (clocks go back)"),
        choices=OCCURRENCE_CHOICES,
        required=False,
    )
