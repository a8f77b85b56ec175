"""Template filters over common.time_display, the one date and time format.

{% load time_display %}
{{ event.starts_at|date_time:event.timezone }}   Tue Mar 2, 2027, 7:00 PM EST
{{ event.starts_at|time_in:event.timezone }}     7:00 PM EST
{{ tour.start_date|day }}                        Tue Mar 2, 2027
{% span event.starts_at event.ends_at event.timezone %}
{% clock_span entry.starts_at entry.ends_at zone %}
"""

from __future__ import annotations

import datetime as dt

from django import template

from common import time_display

register = template.Library()


@register.filter
def day(value: dt.date | dt.datetime | None, zone: str | None = None) -> str:
    return time_display.format_day(value, zone) if value else ""


@register.filter
def time_in(value: dt.datetime | None, zone: str | None = None) -> str:
    return time_display.format_time(value, zone) if value else ""


@register.filter
def date_time(value: dt.datetime | None, zone: str | None = None) -> str:
    return time_display.format_date_time(value, zone) if value else ""


@register.simple_tag
def span(start: dt.datetime, end: dt.datetime, zone: str | None = None) -> str:
    return time_display.format_span(start, end, zone)


@register.simple_tag
def clock_span(start: dt.datetime, end: dt.datetime, zone: str | None = None) -> str:
    return time_display.format_clock_span(start, end, zone)
