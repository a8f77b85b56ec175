"""What attendees say (survey links, answers, supporters' consented contacts) and which events
staff list publicly.

Data and constraints only: the survey's open window and the public listing's rules live in
impact/services.py and impact/selectors.py. An answer is anonymous: it keeps no client address,
cookie or contact; a "keep me informed" address is a separate SupporterContact, so nothing joins
an email address to what its owner answered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from common.text_input import one_line
from events.models import Event


class SurveyLink(models.Model):
    """The public survey link of one event: a token derived from `salt`, stored as its hash.

    The token is random (common.tokens.derived_token), so it neither reveals nor follows from
    the event id; a new salt retires a leaked link at once.
    """

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="survey_link")
    salt = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Survey link of event {self.event_id}"


class FirstTime(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class PerspectiveChange(models.TextChoices):
    YES = "yes", _("Yes")
    SOMEWHAT = "somewhat", _("Somewhat")
    NO = "no", _("No")


class SurveyResponse(models.Model):
    """One attendee's anonymous answers; every question may be left out."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="survey_responses")
    first_time = models.CharField(max_length=3, choices=FirstTime, blank=True)
    perspective_changed = models.CharField(max_length=8, choices=PerspectiveChange, blank=True)
    comment = models.CharField(max_length=300, blank=True, validators=[one_line])
    language = models.CharField(max_length=2, choices=settings.LANGUAGES, default="en")
    submitted_at = models.DateTimeField(auto_now_add=True)
    # A random key the survey page puts in each form it serves: a double tap on "Send" or a
    # resent POST carries the same key and is stored once. It names the form, not the person
    # or the device (a new page load gets a new key). Blank for answers from before it existed.
    submission_key = models.CharField(max_length=43, blank=True, editable=False)

    class Meta:
        ordering = ["submitted_at"]
        indexes = [models.Index(fields=["event", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "submission_key"],
                condition=~models.Q(submission_key=""),
                name="one_answer_per_survey_form",
            )
        ]

    def __str__(self) -> str:
        return f"Answer {self.pk} to event {self.event_id}"


class SupporterContact(models.Model):
    """An attendee who asked to be kept informed, with the consent text they agreed to."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="supporter_contacts")
    email = models.EmailField()
    consent_text = models.TextField()
    language = models.CharField(max_length=2, choices=settings.LANGUAGES, default="en")
    # The day only: a moment to the microsecond would match the moment of the anonymous answer
    # sent with it, and join the address to what its owner answered.
    consented_on = models.DateField(auto_now_add=True)

    class Meta:
        ordering = ["consented_on", "pk"]

    def __str__(self) -> str:
        return f"Supporter contact {self.pk} (event {self.event_id})"


class PublicListing(models.Model):
    """A published event: listed on the public page and feeds while this row exists.

    Unpublishing deletes the row, so every public output drops the event on its next request.
    """

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="public_listing")
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Public listing of event {self.event_id}"
