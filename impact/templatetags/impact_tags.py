"""{% survey_qr event %}: an event's survey link and QR code, for day sheets and slides."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from impact import qr, selectors, services

register = template.Library()


@register.inclusion_tag("impact/_survey_qr.html")
def survey_qr(event, scale: int = 3) -> dict:
    """Nothing for events without a survey (tentative, cancelled)."""
    if event.status not in selectors.SURVEY_STATUSES:
        return {"url": ""}
    url = services.survey_url(event=event)
    token = url.rstrip("/").rsplit("/", 1)[1]
    return {
        "url": url,
        "token": token,
        "svg": qr.qr_svg(url, scale=scale, title=_("Audience survey")),
    }
