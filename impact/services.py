"""Writes of the impact app: survey links and answers, supporters' contacts, public listings.

Every door (the survey page, the board, the API, commands) calls these functions; each checks
its rules and raises django.core.exceptions.ValidationError with a message for the person who
can act on it. Reads (is a survey open, what the public page shows, the figures) live in
impact/selectors.py.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.tokens import derived_token, hash_token, new_salt
from events.models import Event
from impact import selectors
from impact.models import (
    FirstTime,
    PerspectiveChange,
    PublicListing,
    SupporterContact,
    SurveyLink,
    SurveyResponse,
)

SURVEY_TOKEN_PURPOSE = "event-survey"
# 22 URL-safe characters carry 132 bits: unguessable, yet short enough to type from a slide.
SURVEY_TOKEN_CHARS = 22


def _token_of(salt: str) -> str:
    return derived_token(purpose=SURVEY_TOKEN_PURPOSE, salt=salt)[:SURVEY_TOKEN_CHARS]


def survey_token(*, event: Event) -> str:
    """The event's survey token, made on first use (the day sheet, the slide, the reminder)."""
    link = SurveyLink.objects.filter(event=event).first()
    if link is None:
        salt = new_salt()
        try:
            with transaction.atomic():
                link = SurveyLink.objects.create(
                    event=event, salt=salt, token_hash=hash_token(_token_of(salt))
                )
        except IntegrityError:  # another request made it first: use theirs
            link = SurveyLink.objects.get(event=event)
    return _token_of(link.salt)


def survey_url(*, event: Event) -> str:
    """The absolute public survey address, e.g. https://tours.example.org/s/<token>/."""
    path = reverse("impact:survey", args=[survey_token(event=event)])
    return f"{settings.SITE_URL}{path}"


def rotate_survey_link(*, event: Event) -> str:
    """A new token for a leaked link: the old one is a 404 at once. Returns the new token."""
    salt = new_salt()
    SurveyLink.objects.update_or_create(
        event=event, defaults={"salt": salt, "token_hash": hash_token(_token_of(salt))}
    )
    return _token_of(salt)


def record_survey_answer(
    *,
    event: Event,
    first_time: str = "",
    perspective_changed: str = "",
    comment: str = "",
    language: str = "en",
    email: str = "",
    consent: bool = False,
    submission_key: str = "",
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """Store one attendee's anonymous answers and, apart from them, a consented contact.

    `first_time` is "yes", "no" or ""; `perspective_changed` "yes", "somewhat", "no" or "";
    `comment` one line of at most 300 characters. An `email` is kept only with `consent`.
    `submission_key` is the survey form's own random key (impact.forms): an answer sent again
    with the same key (a double tap, a resent POST) is stored once, and the first is returned.
    Raises ValidationError (by field) for a closed survey, unknown choices, an email without
    consent, or an empty answer.
    """
    state = selectors.survey_state(event=event, now=now)
    if state != selectors.SurveyState.OPEN:
        raise ValidationError(_("This survey is closed."), code="closed")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    errors: dict[str, str] = {}
    if email and not consent:
        errors["consent"] = _("Tick the box to agree, or leave the email address empty.")
    if not (first_time or perspective_changed or comment.strip() or email):
        errors["__all__"] = _("Answer at least one question.")
    if submission_key and (
        earlier := SurveyResponse.objects.filter(event=event, submission_key=submission_key).first()
    ):
        return earlier
    response = SurveyResponse(
        event=event,
        submission_key=submission_key,
        first_time=first_time,
        perspective_changed=perspective_changed,
        comment=comment.strip(),
        language=language,
    )
    contact = SupporterContact(
        event=event, email=email.strip(), consent_text=consent_text(language), language=language
    )
    checked = [response, contact] if email else [response]
    for row in checked:
        try:
            row.full_clean(exclude=["event"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, " ".join(messages))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            response.save()
            if email:
                contact.save()
    except IntegrityError:
        if not submission_key:
            raise
        # The same form's other POST won the race between the check above and this insert.
        return SurveyResponse.objects.get(event=event, submission_key=submission_key)
    return response


def consent_text(language: str) -> str:
    """The exact words an attendee agrees to, kept with their address in their language."""
    from django.utils import translation

    with translation.override(language):
        return _(
            "Yes, Liberty in North Korea may email me news and ways to help. I can unsubscribe "
            "at any time. My address is kept apart from my answers."
        )


# Choices as the survey form lists them, for the views' validation messages.
FIRST_TIME_CHOICES = FirstTime.values
PERSPECTIVE_CHOICES = PerspectiveChange.values


def publish_event(*, event: Event, by=None) -> PublicListing:
    """List a confirmed event on the public page and feeds.

    Raises ValidationError({"event": …}) when the host did not ask for a public listing, or the
    event is not confirmed or has ended. Publishing twice is a no-op.
    """
    if event.request is not None and not event.request.list_publicly:
        problem = _("The host did not ask for this event to be listed publicly.")
    elif event.status != Event.Status.CONFIRMED:
        problem = _("Only confirmed events can be listed publicly.")
    elif event.ends_at <= timezone.now():
        problem = _("This event has ended.")
    else:
        problem = ""
    if problem:
        raise ValidationError({"event": problem})
    listing, _created = PublicListing.objects.get_or_create(
        event=event, defaults={"published_by": by}
    )
    return listing


def unpublish_event(*, event: Event) -> bool:
    """Take an event off the public page and feeds at once; True when it was listed."""
    deleted, _rows = PublicListing.objects.filter(event=event).delete()
    return bool(deleted)
