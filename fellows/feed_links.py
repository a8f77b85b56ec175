"""The private feeds' addresses, built from a token as fellows.services hands it out (once).

A feed's https link, the same feed as a webcal:// subscription, and the fellow's day sheets
that the feed's events link to; what each feed holds is events/feeds.py.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse


def feed_url(*, kind: str, token: str) -> str:
    return settings.SITE_URL + reverse(f"fellows:{kind}-feed", kwargs={"token": token})


def webcal_url(url: str) -> str:
    """The same feed as a webcal:// link, which calendar apps open as a subscription."""
    return "webcal://" + url.split("://", 1)[1]


def day_sheets_url(*, token: str, day: dt.date | None = None) -> str:
    url = settings.SITE_URL + reverse("fellows:token-day-sheets", kwargs={"token": token})
    return f"{url}#day-{day.isoformat()}" if day else url
