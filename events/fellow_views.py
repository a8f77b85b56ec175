"""Fellow-facing pages and the private feeds: thin adapters over selectors and services.

They live in events, above fellows, because each shows a fellow's events (feeds, day sheets,
the conflicts an unavailability creates); their URLs keep the `fellows` namespace
(events/fellow_urls.py).

Token-addressed views (feeds, day sheets by token) need no session: the unguessable token is
the credential, an unknown or rotated token is a plain 404, and every request counts against a
per-token-and-address limit. Feeds answer conditional GETs from a version derived from the data
in one query, so a client polling an unchanged calendar costs no rendering.
"""

from __future__ import annotations

from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST, require_safe

from common import rate_limits
from common.sign_in import SignOutView
from events.feed_selectors import (
    Feed,
    FeedKind,
    day_sheets,
    feed_for_token,
    unavailability_conflicts,
)
from events.feeds import DEFAULT_FEED_TIMEZONE, feed_bytes, local_text
from fellows.feed_links import day_sheets_url, feed_url, webcal_url
from fellows.forms import LanguageForm, UnavailabilityForm
from fellows.models import Fellow, StaffFeedToken, Tour
from fellows.selectors import fellow_feed_timezone, fellow_for_user
from fellows.services import (
    add_unavailability,
    record_feed_use,
    rotate_feed_token,
    rotate_staff_feed_token,
    set_preferred_language,
)

LOGIN_URL = reverse_lazy("fellows:login")
LAST_USE_FIELDS: dict[str, tuple[type[Fellow] | type[Tour] | type[StaffFeedToken], str]] = {
    "fellow": (Fellow, "feed_last_used_at"),
    "tour": (Tour, "feed_last_used_at"),
    "staff": (StaffFeedToken, "last_used_at"),
}


def _too_many(request: HttpRequest, token: str) -> HttpResponse | None:
    """A 429 when this token and address went over FEED_RATE_LIMIT, else None."""
    wait = rate_limits.seconds_until_allowed(
        request, group="feeds", rate=settings.FEED_RATE_LIMIT, narrow_by=token[:24]
    )
    if wait is None:
        return None
    response = HttpResponse(
        _("Too many requests; try again later."), status=429, content_type="text/plain"
    )
    response["Retry-After"] = str(wait)
    return response


def _private(response: HttpResponse) -> HttpResponse:
    # Shared caches must never keep a private calendar; clients revalidate with the ETag.
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@condition(
    etag_func=lambda request, resolved: resolved.etag,
    last_modified_func=lambda request, resolved: resolved.last_modified,
)
def _feed_response(request: HttpRequest, resolved: Feed) -> HttpResponse:
    response = HttpResponse(feed_bytes(resolved), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{resolved.kind}-itinerary.ics"'
    return response


@require_safe
def feed(request: HttpRequest, kind: FeedKind, token: str) -> HttpResponse:
    """A private iCalendar feed (fellow, tour or staff) addressed by its token.

    Answers conditional GETs (ETag, Last-Modified) through Django's `condition` decorator from
    a version derived from the data (events.feed_selectors.feed_for_token); a rotated, revoked or
    erased token is a 404 on the very next request.
    """
    limited = _too_many(request, token)
    if limited:
        return limited
    resolved = feed_for_token(kind=kind, token=token)
    if resolved is None:
        raise Http404(_("No such feed."))
    model, field = LAST_USE_FIELDS[kind]
    record_feed_use(
        model=model, pk=resolved.owner_id, field=field, last_used_at=resolved.last_used_at
    )
    return _private(_feed_response(request, resolved))


def _day_sheets_page(request: HttpRequest, fellow: Fellow, *, token: str = "") -> HttpResponse:
    zone = fellow_feed_timezone(fellow=fellow, default=DEFAULT_FEED_TIMEZONE)
    today = timezone.localdate(timezone=ZoneInfo(zone))
    show_all = request.GET.get("all") == "1"
    with translation.override(fellow.preferred_language):
        response = render(
            request,
            "fellows/day_sheets.html",
            {
                "fellow": fellow,
                "days": day_sheets(fellow=fellow, since=None if show_all else today),
                "show_all": show_all,
                "token": token,
                "language": fellow.preferred_language,
            },
        )
    return _private(response)


@require_safe
def token_day_sheets(request: HttpRequest, token: str) -> HttpResponse:
    """Day sheets opened from a feed's link: the feed token is the credential."""
    limited = _too_many(request, token)
    if limited:
        return limited
    resolved = feed_for_token(kind="fellow", token=token)
    if resolved is None:
        raise Http404(_("No such day sheet."))
    return _day_sheets_page(request, resolved.fellow, token=token)


def _own_fellow(request: HttpRequest) -> Fellow:
    fellow = fellow_for_user(user=request.user)
    if fellow is None:
        # Staff and other users have no day sheets; say nothing about which fellows exist.
        raise Http404(_("No fellow is linked to this account."))
    return fellow


@login_required(login_url=LOGIN_URL)
@require_safe
def my_day_sheets(request: HttpRequest) -> HttpResponse:
    return _day_sheets_page(request, _own_fellow(request))


@login_required(login_url=LOGIN_URL)
def my_page(request: HttpRequest) -> HttpResponse:
    """The fellow's page: feed subscription, language, and unavailability with its warning."""
    fellow = _own_fellow(request)
    zone = fellow_feed_timezone(fellow=fellow, default=DEFAULT_FEED_TIMEZONE)
    with translation.override(fellow.preferred_language):
        form = UnavailabilityForm(request.POST or None, initial={"timezone": zone})
        if request.method == "POST" and form.is_valid():
            try:
                unavailability = add_unavailability(
                    fellow=fellow,
                    starts_at=form.cleaned_data["starts_at"],
                    ends_at=form.cleaned_data["ends_at"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your unavailability was saved."))
                # Only the fellow's own events are named: titles and times, nothing about
                # whoever else is booked there.
                clashes = [
                    f"{event.title} ({local_text(event.starts_at, event.timezone)})"
                    for event in unavailability_conflicts(unavailability=unavailability)
                ]
                if clashes:
                    messages.warning(
                        request,
                        _(
                            "This overlaps events you are booked for: %(events)s. "
                            "Staff can see the conflict and will contact you."
                        )
                        % {"events": "; ".join(clashes)},
                    )
                return redirect("fellows:me")
        response = render(
            request,
            "fellows/me.html",
            {
                "fellow": fellow,
                "form": form,
                "language_form": LanguageForm(
                    initial={"preferred_language": fellow.preferred_language}
                ),
                "unavailabilities": fellow.unavailabilities.order_by("starts_at"),
                "zone": zone,  # the list reads in the zone the form offers, not UTC
                "language": fellow.preferred_language,
            },
        )
    return _private(response)


@login_required(login_url=LOGIN_URL)
@require_POST
def my_language(request: HttpRequest) -> HttpResponse:
    fellow = _own_fellow(request)
    form = LanguageForm(request.POST)
    if form.is_valid():
        set_preferred_language(fellow=fellow, language=form.cleaned_data["preferred_language"])
    return redirect("fellows:me")


def _new_feed_page(request: HttpRequest, *, url: str, sheets: str = "") -> HttpResponse:
    # Shown once, in the answer to the POST: the token is never stored in clear text.
    response = render(
        request,
        "fellows/new_feed.html",
        {"feed_url": url, "webcal_url": webcal_url(url), "day_sheets_url": sheets},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required(login_url=LOGIN_URL)
@require_POST
def my_feed_rotate(request: HttpRequest) -> HttpResponse:
    """The fellow makes a new feed link; the old one stops working at once."""
    fellow = _own_fellow(request)
    token = rotate_feed_token(fellow=fellow)
    with translation.override(fellow.preferred_language):
        return _new_feed_page(
            request, url=feed_url(kind="fellow", token=token), sheets=day_sheets_url(token=token)
        )


@staff_member_required(login_url="board:login")
def staff_feed(request: HttpRequest) -> HttpResponse:
    """A staff member's own all-tours feed: status on GET, a new link on POST."""
    if request.method == "POST":
        # staff_member_required lets only signed-in staff in.
        token = rotate_staff_feed_token(user=cast(User, request.user))
        return _new_feed_page(request, url=feed_url(kind="staff", token=token))
    existing = StaffFeedToken.objects.filter(user=cast(User, request.user)).first()
    return render(request, "fellows/staff_feed.html", {"existing": existing})


class FellowLoginView(auth_views.LoginView):
    """/me/login/: fellows sign in to their own page, day sheets and feed link."""

    template_name = "fellows/login.html"
    extra_context = {"audience": "fellow"}

    def get_default_redirect_url(self) -> str:
        return reverse("fellows:me")


class FellowSignOutView(SignOutView):
    extra_context = {"sign_in_url": reverse_lazy("fellows:login")}
