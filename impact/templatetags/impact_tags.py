"""An event's attendee survey in other apps' templates: {% survey_qr event %}, its link and QR
code (day sheets, slides); {% survey_link event as url %}, its link alone (the host's
reminder email). Both give nothing for events without a survey (tentative, cancelled).

Templates reach the survey through these tags, so notifications and fellows need not import
impact, which sits above them.
"""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from impact import qr, selectors, services

register = template.Library()


@register.simple_tag
def survey_link(event) -> str:
    """The survey's public address, or "" for an event without a survey."""
    if event.status not in selectors.SURVEY_STATUSES:
        return ""
    return services.survey_url(event=event)


@register.inclusion_tag("impact/_survey_qr.html")
def survey_qr(event, scale: int = 3) -> dict:
    url = survey_link(event)
    if not url:
        return {"url": ""}
    token = url.rstrip("/").rsplit("/", 1)[1]
    return {
        "url": url,
        "token": token,
        "svg": qr.qr_svg(url, scale=scale, title=_("Audience survey")),
    }
