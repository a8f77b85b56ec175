"""The attendee survey form: radio buttons, one line of text and a consent box; no script."""

from __future__ import annotations

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from impact.models import FirstTime, PerspectiveChange


def new_submission_key() -> str:
    """43 URL-safe characters (256 random bits)."""
    return secrets.token_urlsafe(32)


class SurveyForm(forms.Form):
    first_time = forms.ChoiceField(
        label=_("Is this the first time you have met a North Korean?"),
        choices=FirstTime.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    perspective_changed = forms.ChoiceField(
        label=_("Did this talk change your perspective on North Korea?"),
        choices=PerspectiveChange.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (one line)"),
        max_length=300,
        required=False,
    )
    email = forms.EmailField(
        label=_("Your email address (optional)"),
        required=False,
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    consent = forms.BooleanField(required=False)
    # One key per form served (impact.models.SurveyResponse.submission_key): a second POST of
    # the same form is the same answer.
    submission_key = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=43, initial=new_submission_key
    )
