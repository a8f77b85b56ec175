"""Public pages of the impact app: the attendee survey with its printable slide, and the public
events listing (page, iCalendar feed, JSON).

Thin adapters over impact.services and impact.selectors. None of these pages set cookies beyond
Django's CSRF token, load scripts or count visitors; none shows a fellow's private data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from common import calendars, rate_limits
from impact import qr, selectors, services
from impact.forms import SurveyForm


def _language(request: HttpRequest) -> str:
    """?lang= (or the form's hidden field) first, else the browser's language."""
    chosen = request.POST.get("lang") or request.GET.get("lang") or ""
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def _event_or_404(token: str):
    event = selectors.event_for_survey_token(token)
    if event is None:
        raise Http404("No such survey.")
    return event


def _too_many(request: HttpRequest, token: str) -> int | None:
    """Seconds to wait when this address or this event has answered too often, else None."""
    for rate, per_client in (
        (settings.SURVEY_RATE_LIMIT, True),
        (settings.SURVEY_EVENT_RATE_LIMIT, False),
    ):
        wait = rate_limits.seconds_until_allowed(
            request, group="survey-answers", rate=rate, narrow_by=token, per_client=per_client
        )
        if wait is not None:
            return wait
    return None


def _no_store(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    # Not "no-referrer": browsers then send "Origin: null" with the form, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    event = _event_or_404(token)
    language = _language(request)
    with translation.override(language):
        state = selectors.survey_state(event=event)
        form = SurveyForm(request.POST or None)
        status = 200
        if request.method == "POST":
            if state != selectors.SurveyState.OPEN:
                status = 410
            elif (wait := _too_many(request, token)) is not None:
                response = render(
                    request,
                    "impact/survey_busy.html",
                    # The page says the real wait: a room behind one address may wait long.
                    {"language": language, "token": token, "minutes": max(1, -(-wait // 60))},
                    status=429,
                )
                response["Retry-After"] = str(wait)
                return _no_store(response)
            elif form.is_valid():
                try:
                    services.record_survey_answer(
                        event=event, language=language, **form.cleaned_data
                    )
                except ValidationError as exc:
                    # Per field, or one message (the survey closed while the page was open).
                    problems = getattr(exc, "error_dict", None) and exc.message_dict
                    for name, messages in (problems or {"__all__": exc.messages}).items():
                        known = name in form.fields
                        form.add_error(name if known else None, messages)
                else:
                    thanks = reverse("impact:survey-thanks", args=[token])
                    return redirect(f"{thanks}?lang={language}")
            if status == 200:
                status = 400
        response = render(
            request,
            "impact/survey.html",
            {
                "event": event,
                "state": state,
                "form": form,
                "language": language,
                "other_language": "ko" if language == "en" else "en",
                "consent_text": services.consent_text(language),
                "closes_at": selectors.survey_closes_at(event),
            },
            status=status,
        )
    return _no_store(response)


@require_safe
def survey_thanks(request: HttpRequest, token: str) -> HttpResponse:
    _event_or_404(token)
    with translation.override(_language(request)):
        return _no_store(render(request, "impact/survey_thanks.html", {}))


@require_safe
def survey_slide(request: HttpRequest, token: str) -> HttpResponse:
    """A page to project or print: the QR code, the short link, a line in both languages."""
    event = _event_or_404(token)
    url = f"{settings.SITE_URL}{reverse('impact:survey', args=[token])}"
    return _no_store(
        render(
            request,
            "impact/survey_slide.html",
            {"event": event, "url": url, "svg": qr.qr_svg(url, scale=10, title="Survey")},
        )
    )


# -- public events ---------------------------------------------------------------------------


def _conditional(request: HttpRequest, body: bytes, content_type: str) -> HttpResponse:
    """ETag from the bytes themselves; clients must revalidate every time (no-cache), so an
    unpublished event is gone on the very next request, from every cache that obeys HTTP."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    not_modified = get_conditional_response(request, etag=etag)
    response = not_modified or HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    patch_cache_control(response, public=True, no_cache=True, max_age=0)
    return response


@require_safe
def public_events(request: HttpRequest) -> HttpResponse:
    listed = selectors.published_events()
    body = render(
        request,
        "impact/public_events.html",
        {"events": listed, "details_days": settings.PUBLIC_EVENT_DETAILS_DAYS},
    ).content
    return _conditional(request, body, "text/html; charset=utf-8")


def _public_dict(event: selectors.PublicEvent) -> dict:
    return {
        "uid": event.uid,
        "date": event.date.isoformat(),
        "city": event.city,
        "state": event.state,
        "organization": event.organization,
        "topic": event.topic,
        "speakers": list(event.speakers),
        "timezone": event.timezone,
        "starts_at": event.starts.isoformat() if event.starts else None,
        "ends_at": event.ends.isoformat() if event.ends else None,
        "address": event.address,
    }


@require_safe
def public_events_json(request: HttpRequest) -> HttpResponse:
    listed = [_public_dict(e) for e in selectors.published_events()]
    body = json.dumps({"events": listed}, ensure_ascii=False, indent=1).encode()
    return _conditional(request, body, "application/json")


@require_safe
def public_events_ics(request: HttpRequest) -> HttpResponse:
    listed = selectors.published_events()
    stamp = timezone.now().replace(microsecond=0, second=0, minute=0)
    body = calendars.calendar_bytes(
        (calendars.public_event_vevent(event, stamp=stamp) for event in listed),
        name=_("LiNK Advocacy Fellows: public events"),
        refresh=dt.timedelta(hours=6),
    )
    response = _conditional(request, body, "text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="link-fellows-events.ics"'
    return response
