"""Speaker requests from the host's side: submission, the host's edits, withdrawal, attendance,
and staff triage (status changes, declines).

This module is the one home of the intake rules: the web form, the public API, the CSV import
and the admin all hand it plain data and get back a saved request or a RequestRejected listing
what is wrong per field (and per date window). Nothing is saved unless everything is valid.
Parsing text into dates, numbers and booleans is the adapters' job; deciding whether those
values are acceptable is this module's. Booking rules stay in events/rules.py.

`data` keys: the fields declared in events.request_fields (organization_name, contact_email,
format, timezone for virtual events only, external_id for imports, …), and windows: a list of
mappings with start_date, end_date, earliest_start, latest_end and preference.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common import local_times
from common.geocoding import UnknownZip, locate_zip
from common.text_input import FREE_TEXT_MAX_CHARS
from common.tokens import derived_token, hash_token, new_salt
from events import lifecycle, request_fields, selectors
from events.models import Organization, RequestWindow, SpeakerRequest
from events.selectors import HOST_LINK_PURPOSE
from events.services import queue_host_contact_change, set_request_status
from notifications import services as notifications

MAX_WINDOWS = 10
MIN_AUDIENCE, MAX_AUDIENCE = 1, 100_000
MIN_EVENT_MINUTES, MAX_EVENT_MINUTES = 15, 480
# 7 to 15 digits (E.164 allows 15), with the usual separators and an optional extension.
_PHONE = re.compile(r"^\+?[\d\s().\-]{7,25}(\s*(x|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)
_EXTENSION = re.compile(r"\s*(x|ext\.?)\s*\d{1,6}$", re.IGNORECASE)

# Zones offered to virtual events, whose times have no venue to take a zone from.
US_TIME_ZONES = [
    ("America/New_York", gettext_lazy("Eastern (New York)")),
    ("America/Chicago", gettext_lazy("Central (Chicago)")),
    ("America/Denver", gettext_lazy("Mountain (Denver)")),
    ("America/Phoenix", gettext_lazy("Arizona (Phoenix)")),
    ("America/Los_Angeles", gettext_lazy("Pacific (Los Angeles)")),
    ("America/Anchorage", gettext_lazy("Alaska (Anchorage)")),
    ("Pacific/Honolulu", gettext_lazy("Hawaii (Honolulu)")),
]

# Kept for the views and templates that ask; the table itself is events.lifecycle.
HOST_EDITABLE_STATUSES = tuple(lifecycle.HOST_EDITABLE)

# The values copied onto a request as given: the declaration is events.request_fields.
REQUEST_FIELDS = request_fields.COPIED
WINDOW_FIELDS = ("start_date", "end_date", "earliest_start", "latest_end", "preference")
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


class RequestRejected(ValidationError):
    """Everything wrong with a submission: per field, for the window list, and per window.

    `field_errors` maps field names (and "windows" for list-wide problems) to messages;
    `window_errors` has one dict per submitted window, in order, empty when that one is fine.
    As a ValidationError its message_dict is flat ("windows.1.end_date") for simple callers.
    """

    def __init__(
        self,
        field_errors: Mapping[str, list[str]],
        window_errors: Sequence[Mapping[str, list[str]]] = (),
    ):
        self.field_errors = {name: list(msgs) for name, msgs in field_errors.items()}
        self.window_errors = [{name: list(msgs) for name, msgs in w.items()} for w in window_errors]
        flat: dict[str, list[str]] = dict(self.field_errors)
        for index, errors in enumerate(self.window_errors):
            for name, messages in errors.items():
                flat[f"windows.{index}.{name}"] = messages
        super().__init__(flat)

    def as_nested(self) -> dict[str, Any]:
        """DRF's shape: {"field": [...], "windows": [...] or {1: {"end_date": [...]}}}, the
        windows keyed by position like a ListSerializer's errors, so API clients see one
        format whether parsing or these rules found the problem."""
        nested: dict[str, Any] = {k: v for k, v in self.field_errors.items() if k != "windows"}
        if "windows" in self.field_errors:
            nested["windows"] = self.field_errors["windows"]
        elif any(self.window_errors):
            nested["windows"] = {i: e for i, e in enumerate(self.window_errors) if e}
        return nested


@dataclass(frozen=True)
class Submission:
    """A saved request and its private host link: the only moment the link is known in
    clear, so the caller shows it to the creator (API) or it goes out in the email."""

    speaker_request: SpeakerRequest
    host_url: str


def host_url_for(token: str) -> str:
    return settings.SITE_URL + reverse("events:host-request", args=[token])


class _Problems:
    """Collects messages per field so every problem is reported at once."""

    def __init__(self, window_count: int = 0):
        self.fields: dict[str, list[str]] = {}
        self.windows: list[dict[str, list[str]]] = [{} for _ in range(window_count)]

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(str(message))

    def add_window(self, index: int, name: str, message: str) -> None:
        self.windows[index].setdefault(name, []).append(str(message))

    def merge_model_errors(
        self, exc: ValidationError, rename: Mapping[str, str] | None = None
    ) -> None:
        """Add the model's own checks, except on fields this module already explained."""
        already = set(self.fields)
        for name, messages in exc.message_dict.items():
            target = (rename or {}).get(name, name)
            if target in already:
                continue
            for message in messages:
                self.add(target, message)

    def raise_if_any(self) -> None:
        if self.fields or any(self.windows):
            raise RequestRejected(self.fields, self.windows)


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return "" if value is None else str(value).strip()


def _check_phone(phone: str, problems: _Problems) -> None:
    digits = re.sub(r"\D", "", _EXTENSION.sub("", phone))
    if phone and (not _PHONE.match(phone) or not 7 <= len(digits) <= 15):
        problems.add("contact_phone", _("Enter a phone number, e.g. +1 212 555 0100."))


def _check_windows(
    windows: Sequence[Mapping[str, Any]],
    *,
    zone: str,
    event_length_minutes: int | None,
    problems: _Problems,
) -> list[RequestWindow]:
    """The date-window rules: one to ten, in the future, each ending after it starts and long
    enough for the event. Returns unsaved windows."""
    if not windows:
        problems.add("windows", _("Add at least one date window."))
    elif len(windows) > MAX_WINDOWS:
        problems.add("windows", _("Give at most %(max)d date windows.") % {"max": MAX_WINDOWS})
    now = timezone.now()
    built = []
    for index, raw in enumerate(windows):
        given: dict[str, Any] = {}
        for name in ("start_date", "end_date", "earliest_start", "latest_end"):
            given[name] = raw.get(name)
            if given[name] in (None, ""):
                problems.add_window(index, name, _("This field is required."))
        window = RequestWindow(
            **given,
            preference=raw.get("preference") or RequestWindow.Preference.PREFERRED,
        )
        built.append(window)
        if problems.windows[index]:
            continue
        if window.preference not in RequestWindow.Preference.values:
            problems.add_window(index, "preference", _("Choose preferred or possible."))
        if window.end_date < window.start_date:
            problems.add_window(index, "end_date", _("The last date must not be before the first."))
        if window.latest_end <= window.earliest_start:
            problems.add_window(
                index, "latest_end", _("The latest end must be after the earliest start.")
            )
        elif event_length_minutes:
            span = dt.datetime.combine(window.start_date, window.latest_end) - dt.datetime.combine(
                window.start_date, window.earliest_start
            )
            if span < dt.timedelta(minutes=event_length_minutes):
                problems.add_window(
                    index,
                    "latest_end",
                    _("The window is shorter than the event (%(minutes)d minutes).")
                    % {"minutes": event_length_minutes},
                )
        starts = dt.datetime.combine(window.start_date, window.earliest_start, ZoneInfo(zone))
        if starts <= now:
            problems.add_window(index, "start_date", _("Choose dates in the future."))
            continue
        for name in ("earliest_start", "latest_end"):
            message = local_times.daily_time_problems(
                window.start_date, window.end_date, getattr(window, name), zone
            )
            if message:
                problems.add_window(index, name, message)
    return built


def _build_request(data: Mapping[str, Any], problems: _Problems) -> SpeakerRequest:
    values = {name: data.get(name) for name in REQUEST_FIELDS if data.get(name) is not None}
    for name in ("contact_name", "contact_email", "contact_phone", "street", "city", "zip_code"):
        values[name] = _text(data, name)
    values["state"] = _text(data, "state").upper()
    values["external_id"] = _text(data, "external_id") or None
    speaker_request = SpeakerRequest(**values)

    _check_phone(speaker_request.contact_phone, problems)
    audience = speaker_request.expected_audience
    if audience is None:
        problems.add("expected_audience", _("This field is required."))
    elif not MIN_AUDIENCE <= audience <= MAX_AUDIENCE:
        problems.add(
            "expected_audience",
            _("Expect between %(min)d and %(max)s people.")
            % {"min": MIN_AUDIENCE, "max": f"{MAX_AUDIENCE:,}"},
        )

    if speaker_request.format == SpeakerRequest.Format.IN_PERSON:
        for name in ("street", "city", "state", "zip_code"):
            if not getattr(speaker_request, name):
                problems.add(name, _("Needed for an in-person event."))
        if speaker_request.zip_code and speaker_request.state:
            try:
                place = locate_zip(speaker_request.zip_code, speaker_request.state)
            except UnknownZip:
                problems.add(
                    "zip_code",
                    _("ZIP code %(zip)s does not exist in %(state)s.")
                    % {"zip": speaker_request.zip_code, "state": speaker_request.state},
                )
            else:
                # The venue decides the zone: a host cannot type times in some other zone.
                speaker_request.zip_code = place.zip_code
                speaker_request.latitude = place.latitude
                speaker_request.longitude = place.longitude
                speaker_request.timezone = place.timezone
    else:
        zone = _text(data, "timezone")
        if not zone:
            problems.add("timezone", _("Choose the time zone your times are in."))
        elif not local_times.is_zone_name(zone):
            problems.add("timezone", _("Choose a time zone from the list."))
        else:
            speaker_request.timezone = zone

    try:
        speaker_request.full_clean(exclude=["organization", "host_token_hash"])
    except ValidationError as exc:
        problems.merge_model_errors(exc)
    return speaker_request


def _build_organization(data: Mapping[str, Any], problems: _Problems) -> Organization:
    organization = Organization(
        name=_text(data, "organization_name"),
        kind=_text(data, "organization_kind") or Organization.Kind.OTHER,
    )
    try:
        organization.full_clean(exclude=["website"])
    except ValidationError as exc:
        problems.merge_model_errors(
            exc, rename={"name": "organization_name", "kind": "organization_kind"}
        )
    return organization


def _save_windows(speaker_request: SpeakerRequest, windows: Sequence[RequestWindow]) -> None:
    for window in windows:
        window.request = speaker_request
    RequestWindow.objects.bulk_create(windows)


def _validated_request(
    data: Mapping[str, Any],
) -> tuple[Organization, SpeakerRequest, list[RequestWindow]]:
    windows_data = list(data.get("windows") or [])
    problems = _Problems(len(windows_data))
    organization = _build_organization(data, problems)
    speaker_request = _build_request(data, problems)
    windows = _check_windows(
        windows_data,
        zone=speaker_request.timezone,
        event_length_minutes=_checked_event_length(speaker_request, problems),
        problems=problems,
    )
    problems.raise_if_any()
    return organization, speaker_request, windows


def _checked_event_length(speaker_request: SpeakerRequest, problems: _Problems) -> int | None:
    """The event's length when it is one the windows can be measured against, else None
    (a length already refused must not reach timedelta arithmetic, which overflows)."""
    minutes = speaker_request.event_length_minutes
    if "event_length_minutes" in problems.fields:
        return None
    if not isinstance(minutes, int) or not MIN_EVENT_MINUTES <= minutes <= MAX_EVENT_MINUTES:
        problems.add(
            "event_length_minutes",
            _("Choose a length from %(min)d to %(max)d minutes.")
            % {"min": MIN_EVENT_MINUTES, "max": MAX_EVENT_MINUTES},
        )
        return None
    return minutes


def check_speaker_request(*, data: Mapping[str, Any]) -> None:
    """Raise RequestRejected for everything wrong with `data`; saves nothing. The form uses it
    on partly unparseable input so that the host sees every problem at once."""
    _validated_request(data)


def submit_speaker_request(
    *, data: Mapping[str, Any], source: str, acknowledge: bool = True
) -> Submission:
    """Validate and save a host's request with its windows, geocode it offline, issue its
    private link and queue the acknowledgement carrying that link (unless `acknowledge` is
    False, for imports of requests hosts already know about).

    Raises RequestRejected listing every problem per field and per window; nothing is saved.
    """
    organization, speaker_request, windows = _validated_request(data)

    speaker_request.host_link_salt = new_salt()
    token = derived_token(purpose=HOST_LINK_PURPOSE, salt=speaker_request.host_link_salt)
    speaker_request.source = source
    speaker_request.status = SpeakerRequest.Status.SUBMITTED
    speaker_request.host_token_hash = hash_token(token)
    try:
        with transaction.atomic():
            # Hosts type their name slightly differently each time; one organization per
            # name and kind keeps staff's lists and filters meaningful.
            existing = Organization.objects.filter(
                name__iexact=organization.name, kind=organization.kind
            ).first()
            if existing is None:
                organization.save()
            speaker_request.organization = existing or organization
            speaker_request.save()
            _save_windows(speaker_request, windows)
            host_url = host_url_for(token)
            if acknowledge:
                notifications.queue_request_acknowledgement(
                    speaker_request=speaker_request, host_url=host_url, new_request=True
                )
    except IntegrityError as exc:
        # Only external_id can collide here (a concurrent import of the same row): the
        # acknowledgement's dedupe key names the request inserted just before it.
        raise RequestRejected(
            {"external_id": [_("A request with this external id exists already.")]}
        ) from exc
    return Submission(speaker_request=speaker_request, host_url=host_url)


def _locked(speaker_request: SpeakerRequest) -> SpeakerRequest:
    return SpeakerRequest.objects.select_for_update().get(pk=speaker_request.pk)


@transaction.atomic
def reissue_host_link(*, speaker_request: SpeakerRequest) -> SpeakerRequest:
    """Staff replace a host's private link (lost, forwarded, leaked): the old link stops
    opening anything at once, and the new one goes to the host by email only. Nobody else
    sees it: the outbox row keeps it sealed until sending (notifications.sealed_links).

    Raises ValidationError({"contact_email": …}) once the host's contact data is gone.
    """
    speaker_request = _locked(speaker_request)
    if speaker_request.anonymised_at is not None or not speaker_request.contact_email:
        raise ValidationError(
            {"contact_email": _("This request has no host contact any more to send a link to.")}
        )
    # A new salt derives a new link; the old one no longer matches the stored hash.
    speaker_request.host_link_salt = new_salt()
    token = derived_token(purpose=HOST_LINK_PURPOSE, salt=speaker_request.host_link_salt)
    speaker_request.host_token_hash = hash_token(token)
    speaker_request.host_token_revoked = False
    speaker_request.save(
        update_fields=["host_link_salt", "host_token_hash", "host_token_revoked", "updated_at"]
    )
    notifications.queue_new_host_link(
        speaker_request=speaker_request,
        host_url=host_url_for(token),
        link_hash=speaker_request.host_token_hash,
    )
    return speaker_request


@transaction.atomic
def update_request_by_host(
    *, speaker_request: SpeakerRequest, data: Mapping[str, Any]
) -> SpeakerRequest:
    """Replace the contact details, and the date windows while staff have not proposed a date
    (after that, `windows` is ignored: the dates are being arranged with staff).

    A new contact email moves the host's live invites (events.services.queue_host_contact_change).
    Raises RequestRejected with field errors, or once the request is closed.
    """
    speaker_request = _locked(speaker_request)
    if speaker_request.status not in lifecycle.HOST_CONTACT_EDITABLE:
        raise RequestRejected(
            {"status": [_("This request can no longer be changed here; please write to us.")]}
        )
    dates_open = speaker_request.status in lifecycle.HOST_EDITABLE
    windows_data = list(data.get("windows") or []) if dates_open else []
    problems = _Problems(len(windows_data))
    previous_email, previous_name = speaker_request.contact_email, speaker_request.contact_name
    for name in CONTACT_FIELDS:
        setattr(speaker_request, name, _text(data, name))
    _check_phone(speaker_request.contact_phone, problems)
    windows = []
    if dates_open:
        windows = _check_windows(
            windows_data,
            zone=speaker_request.timezone,
            event_length_minutes=speaker_request.event_length_minutes,
            problems=problems,
        )
    try:
        speaker_request.full_clean(exclude=["organization"], validate_unique=False)
    except ValidationError as exc:
        problems.merge_model_errors(exc)
    problems.raise_if_any()
    speaker_request.save()
    if dates_open:
        speaker_request.windows.all().delete()
        _save_windows(speaker_request, windows)
    queue_host_contact_change(
        speaker_request=speaker_request,
        previous_email=previous_email,
        previous_name=previous_name,
        host_url=selectors.host_url(speaker_request=speaker_request),
    )
    return speaker_request


# What staff may edit on a request by hand; status moves go through events.lifecycle.
STAFF_EDITABLE_FIELDS = (
    *REQUEST_FIELDS,
    "organization",
    "timezone",
    "latitude",
    "longitude",
    "priority",
    "decline_reason",
    "attendance_count",
    "first_time_count",
    "attendance_comments",
)


@transaction.atomic
def update_request_by_staff(
    *, speaker_request: SpeakerRequest, changes: Mapping[str, Any]
) -> SpeakerRequest:
    """Staff's edit of a request (the admin): model rules, then the host's live invites follow
    a changed contact email (events.services.queue_host_contact_change).

    Raises ValidationError for a field staff may not edit here or a value the model refuses.
    """
    unknown = set(changes) - set(STAFF_EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in unknown})
    speaker_request = _locked(speaker_request)
    previous_email, previous_name = speaker_request.contact_email, speaker_request.contact_name
    for name, value in changes.items():
        setattr(speaker_request, name, value)
    speaker_request.full_clean(validate_unique=False)
    speaker_request.save()
    queue_host_contact_change(
        speaker_request=speaker_request,
        previous_email=previous_email,
        previous_name=previous_name,
        host_url=selectors.host_url(speaker_request=speaker_request),
    )
    return speaker_request


@transaction.atomic
def withdraw_request(*, speaker_request: SpeakerRequest) -> SpeakerRequest:
    """The host calls the request off while it is still being considered.

    Raises ValidationError({"status": …}) once staff have proposed a date.
    """
    speaker_request = _locked(speaker_request)
    if speaker_request.status == SpeakerRequest.Status.WITHDRAWN:
        return speaker_request
    if speaker_request.status not in HOST_EDITABLE_STATUSES:
        raise ValidationError(
            {"status": _("A date has been proposed already; please write to us to cancel.")}
        )
    return set_request_status(
        speaker_request=speaker_request, status=SpeakerRequest.Status.WITHDRAWN
    )


@transaction.atomic
def record_attendance(
    *,
    speaker_request: SpeakerRequest,
    attendance_count: int,
    first_time_count: int,
    comments: str = "",
) -> SpeakerRequest:
    """The host's report after the event; it also marks a confirmed request completed.

    Raises RequestRejected for counts before the event, negative or larger than the audience.
    """
    speaker_request = _locked(speaker_request)
    problems = _Problems()
    if not selectors.attendance_due(speaker_request=speaker_request):
        problems.add("attendance_count", _("Attendance can be reported after the event."))
    if attendance_count is None or not 0 <= attendance_count <= MAX_AUDIENCE:
        problems.add(
            "attendance_count",
            _("Enter a number from 0 to %(max)s.") % {"max": f"{MAX_AUDIENCE:,}"},
        )
    if len(comments or "") > FREE_TEXT_MAX_CHARS:
        problems.add(
            "attendance_comments",
            _("Keep this under %(max)s characters.") % {"max": f"{FREE_TEXT_MAX_CHARS:,}"},
        )
    if first_time_count is None or first_time_count < 0:
        problems.add("first_time_count", _("Enter a number from 0."))
    elif attendance_count is not None and first_time_count > attendance_count:
        problems.add("first_time_count", _("This cannot be more than the audience."))
    problems.raise_if_any()
    speaker_request.attendance_count = attendance_count
    speaker_request.first_time_count = first_time_count
    speaker_request.attendance_comments = (comments or "").strip()
    speaker_request.save(
        update_fields=[
            "attendance_count",
            "first_time_count",
            "attendance_comments",
            "updated_at",
        ]
    )
    if speaker_request.status == SpeakerRequest.Status.CONFIRMED:
        set_request_status(speaker_request=speaker_request, status=SpeakerRequest.Status.COMPLETED)
    return speaker_request


@transaction.atomic
def change_request_status(*, speaker_request: SpeakerRequest, status: str) -> SpeakerRequest:
    """A staff move by hand along events.lifecycle; declines go through decline_request.

    Raises ValidationError({"status": …}) for a move the lifecycle does not allow staff.
    """
    speaker_request = _locked(speaker_request)
    if status == speaker_request.status:
        return speaker_request
    if status == SpeakerRequest.Status.DECLINED:
        raise ValidationError({"status": _("Decline with a reason, so the host is told why.")})
    return set_request_status(speaker_request=speaker_request, status=status, by_staff=True)


@transaction.atomic
def decline_request(*, speaker_request: SpeakerRequest, reason: str) -> SpeakerRequest:
    """Decline with a reason the host will read; the notice goes out after commit.

    Raises ValidationError({"reason": …}) for a missing or overlong reason, and
    ({"status": …}) for a request that can no longer be declined (events.lifecycle).
    """
    speaker_request = _locked(speaker_request)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Tell the host why, in a sentence or two.")})
    if len(reason) > FREE_TEXT_MAX_CHARS:
        raise ValidationError(
            {
                "reason": _("Keep this under %(max)s characters.")
                % {"max": f"{FREE_TEXT_MAX_CHARS:,}"}
            }
        )
    if not lifecycle.can_move(speaker_request.status, SpeakerRequest.Status.DECLINED):
        raise ValidationError(
            {
                "status": _("A %(current)s request cannot be declined.")
                % {"current": speaker_request.get_status_display().lower()}
            }
        )
    speaker_request.decline_reason = reason
    speaker_request.save(update_fields=["decline_reason", "updated_at"])
    set_request_status(speaker_request=speaker_request, status=SpeakerRequest.Status.DECLINED)
    notifications.queue_request_decline(speaker_request=speaker_request)
    return speaker_request
