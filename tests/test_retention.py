"""Host data retention (events.retention, `anonymise_host_data`, the beat task) and one fellow's
data export and erasure (events.fellow_privacy, `fellow_data`)."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from events import intake, retention
from events import services as event_services
from events.models import Event, PlanningRun, RequestWindow, SpeakerRequest
from events.tasks import anonymise_host_data
from fellows.models import Fellow, ItineraryItem, Unavailability
from fellows.services import rotate_feed_token
from notifications import services as notifications
from notifications.models import Notification
from notifications.redaction import REDACTED_ADDRESS
from scheduler.celery import app as celery_app
from tests.events.conftest import request_data
from tests.factories import (
    FellowFactory,
    TourFactory,
    TourMemberFactory,
    UnavailabilityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
NOW = timezone.now()
LONG_AGO = NOW - dt.timedelta(days=settings.HOST_DATA_RETENTION_DAYS + 10)
RECENTLY = NOW - dt.timedelta(days=30)


def submitted(**changes) -> tuple[SpeakerRequest, str]:
    """A request through the real intake, with its private link token."""
    submission = intake.submit_speaker_request(data=request_data(**changes), source="api")
    return submission.speaker_request, submission.host_url.rstrip("/").rsplit("/", 1)[1]


def closed(speaker_request: SpeakerRequest, status: str, at: dt.datetime) -> SpeakerRequest:
    """Close the request as the services do, then move the closing date back in time."""
    if status == SpeakerRequest.Status.DECLINED:
        intake.decline_request(speaker_request=speaker_request, reason="Outside the tour region.")
    else:
        # Straight to the closing state, whatever the lifecycle's path to it.
        SpeakerRequest.objects.filter(pk=speaker_request.pk).update(status=status)
    SpeakerRequest.objects.filter(pk=speaker_request.pk).update(status_changed_at=at)
    speaker_request.refresh_from_db()
    return speaker_request


def past_event(speaker_request: SpeakerRequest, fellows: list[Fellow], ends: dt.datetime) -> Event:
    """A confirmed event for the request on a tour around `ends`, with on-site contact details."""
    # A fixed time of day (13:00 in New York) keeps the event inside the tour's working hours.
    ends = ends.replace(hour=18, minute=0, second=0, microsecond=0)
    day = ends.date()
    tour = TourFactory(start_date=day - dt.timedelta(days=3), end_date=day + dt.timedelta(days=3))
    for fellow in fellows:
        TourMemberFactory(tour=tour, fellow=fellow)
    event = event_services.book_event(
        tour=tour,
        fellows=fellows,
        starts_at=ends - dt.timedelta(hours=1),
        ends_at=ends,
        request=speaker_request,
        override_reason="Agreed by phone.",
        onsite_contact_name="Pastor Private",
        onsite_contact_phone="+1 312 555 0199",
        day_sheet_notes="Ask Pastor Private at door 3.",
    )
    return event_services.confirm_event(event=event)


# Host data retention ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [SpeakerRequest.Status.DECLINED, SpeakerRequest.Status.WITHDRAWN],
)
def test_a_closed_request_past_the_period_loses_contact_data_and_keeps_aggregates(client, status):
    speaker_request, token = submitted()
    assert client.get(f"/r/{token}/").status_code == 200
    closed(speaker_request, status, LONG_AGO)

    report = retention.anonymise_due_requests()

    assert report.requests == 1
    speaker_request.refresh_from_db()
    for name in retention.REQUEST_FIELDS_CLEARED:
        assert getattr(speaker_request, name) == "", name
    assert speaker_request.anonymised_at is not None
    assert speaker_request.host_token_revoked and speaker_request.host_token_hash is None
    assert client.get(f"/r/{token}/").status_code == 404
    # What impact reports count stays.
    assert (speaker_request.city, speaker_request.state, speaker_request.zip_code) == (
        "Chicago",
        "IL",
        "60601",
    )
    assert speaker_request.expected_audience == 150
    assert speaker_request.organization.name == "Loop Community Church"
    assert RequestWindow.objects.filter(request=speaker_request).count() == 2
    # The messages to the host no longer carry the address, the name or the private link.
    for message in Notification.objects.filter(speaker_request=speaker_request):
        assert message.recipient_email == REDACTED_ADDRESS
        assert "Dana" not in message.body_text + message.subject + message.body_html
        assert token not in message.body_text


def test_a_completed_request_scrubs_its_events_history_and_day_sheets():
    fellow = FellowFactory()
    speaker_request, _ = submitted()
    event = past_event(speaker_request, [fellow], ends=LONG_AGO - dt.timedelta(days=2))
    intake.record_attendance(
        speaker_request=speaker_request,
        attendance_count=140,
        first_time_count=90,
        comments="Dana says thanks",
    )
    day = event.starts_at.astimezone(ZoneInfo(event.timezone)).date()
    sheet = notifications.queue_fellow_day_sheet(fellow=fellow, day=day, events=[event])
    assert sheet is not None and "Pastor Private" in sheet.body_text
    SpeakerRequest.objects.filter(pk=speaker_request.pk).update(status_changed_at=LONG_AGO)

    report = retention.anonymise_due_requests()

    assert (report.requests, report.events) == (1, 1)
    speaker_request.refresh_from_db()
    assert speaker_request.status == SpeakerRequest.Status.COMPLETED
    assert (speaker_request.attendance_count, speaker_request.first_time_count) == (140, 90)
    assert speaker_request.attendance_comments == ""
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED and event.city == "Chicago"
    assert (event.onsite_contact_name, event.onsite_contact_phone, event.street) == ("", "", "")
    assert event.day_sheet_notes == ""
    history = event.history.all()
    assert history.count() >= 2
    assert not history.exclude(onsite_contact_name="").exists()
    assert not history.exclude(day_sheet_notes="").exists()
    sheet.refresh_from_db()
    assert sheet.recipient_email == REDACTED_ADDRESS
    assert "Pastor Private" not in sheet.body_text
    confirmation = Notification.objects.get(event=event, kind=Notification.Kind.CONFIRMATION)
    assert confirmation.ics == "" and confirmation.recipient_name == ""


def test_requests_inside_the_period_or_still_open_are_left_alone():
    recent, _ = submitted(contact_email="recent@example.org")
    closed(recent, SpeakerRequest.Status.DECLINED, RECENTLY)
    still_open, _ = submitted(contact_email="open@example.org")
    SpeakerRequest.objects.filter(pk=still_open.pk).update(
        status_changed_at=LONG_AGO, updated_at=LONG_AGO
    )
    # Closed long ago, but its (not cancelled) event is recent: the period counts from it.
    late_event, _ = submitted(contact_email="late@example.org")
    past_event(late_event, [FellowFactory()], ends=RECENTLY)
    closed(late_event, SpeakerRequest.Status.COMPLETED, LONG_AGO)

    assert retention.anonymise_due_requests().requests == 0
    assert set(SpeakerRequest.objects.values_list("contact_email", flat=True)) == {
        "recent@example.org",
        "open@example.org",
        "late@example.org",
    }


def test_the_period_comes_from_settings(settings):
    speaker_request, _ = submitted()
    closed(speaker_request, SpeakerRequest.Status.WITHDRAWN, RECENTLY)
    assert not retention.requests_due_for_anonymisation().exists()

    settings.HOST_DATA_RETENTION_DAYS = 7

    assert list(retention.requests_due_for_anonymisation()) == [speaker_request]


def test_a_request_reopened_after_the_list_was_read_is_not_anonymised():
    speaker_request, _ = submitted()
    closed(speaker_request, SpeakerRequest.Status.DECLINED, LONG_AGO)
    due = list(retention.requests_due_for_anonymisation())
    intake.change_request_status(
        speaker_request=speaker_request, status=SpeakerRequest.Status.IN_REVIEW
    )

    assert retention.anonymise_request(speaker_request=due[0]).requests == 0
    speaker_request.refresh_from_db()
    assert speaker_request.contact_email == "dana@example.org"


def test_the_command_dry_run_lists_and_changes_nothing_then_runs_once():
    speaker_request, _ = submitted()
    closed(speaker_request, SpeakerRequest.Status.DECLINED, LONG_AGO)

    out = StringIO()
    call_command("anonymise_host_data", "--dry-run", stdout=out)
    assert speaker_request.reference in out.getvalue()
    assert "1 request(s) would be anonymised" in out.getvalue()
    speaker_request.refresh_from_db()
    assert speaker_request.contact_email == "dana@example.org"

    out = StringIO()
    call_command("anonymise_host_data", stdout=out)
    assert "Anonymised 1 request(s)" in out.getvalue()
    speaker_request.refresh_from_db()
    assert speaker_request.contact_email == ""

    out = StringIO()
    call_command("anonymise_host_data", stdout=out)
    assert "Anonymised 0 request(s)" in out.getvalue()


def test_beat_runs_the_anonymisation_task_daily():
    entry = next(
        e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == anonymise_host_data.name
    )
    assert entry["schedule"] == 24 * 3600
    assert anonymise_host_data.name in celery_app.tasks
    speaker_request, _ = submitted()
    closed(speaker_request, SpeakerRequest.Status.DECLINED, LONG_AGO)

    assert anonymise_host_data() == 1  # the task body, run in-process

    speaker_request.refresh_from_db()
    assert speaker_request.anonymised_at is not None


# One fellow's data ---------------------------------------------------------------------------


@pytest.fixture
def private_fellow() -> Fellow:
    fellow = FellowFactory(
        display_name="Grace",
        legal_name="Kim Private",
        home_base="Secret Town",
        user=UserFactory(username="grace", first_name="Kim"),
    )
    UnavailabilityFactory(
        fellow=fellow,
        starts_at=NOW + dt.timedelta(days=5),
        ends_at=NOW + dt.timedelta(days=6),
        reason="Visiting family, do not share",
    )
    return fellow


def test_export_holds_everything_we_keep_about_the_fellow(private_fellow, tmp_path):
    speaker_request, _ = submitted()
    past_event(speaker_request, [private_fellow], ends=RECENTLY)

    out = StringIO()
    call_command("fellow_data", "export", str(private_fellow.pk), stdout=out)
    data = json.loads(out.getvalue())

    assert data["fellow"]["legal_name"] == "Kim Private"
    assert data["fellow"]["email"] == private_fellow.email
    assert data["fellow"]["user"] == "grace"
    assert data["unavailability"][0]["reason"] == "Visiting family, do not share"
    assert [e["city"] for e in data["events"]] == ["Chicago"]
    assert len(data["tours"]) == 1
    assert "feed_token_hash" not in json.dumps(data)

    target = tmp_path / "grace.json"
    call_command("fellow_data", "export", str(private_fellow.pk), "--out", str(target))
    assert json.loads(target.read_text())["fellow"]["id"] == private_fellow.pk


def test_delete_needs_yes_and_an_existing_fellow(private_fellow):
    with pytest.raises(CommandError, match="--yes"):
        call_command("fellow_data", "delete", str(private_fellow.pk))
    with pytest.raises(CommandError, match="No fellow"):
        call_command("fellow_data", "delete", "999999", "--yes")
    private_fellow.refresh_from_db()
    assert private_fellow.legal_name == "Kim Private"


def test_delete_is_refused_while_the_fellow_has_upcoming_events(private_fellow):
    speaker_request, _ = submitted()
    event = past_event(speaker_request, [private_fellow], ends=NOW + dt.timedelta(days=20))

    with pytest.raises(CommandError, match="upcoming events") as refused:
        call_command("fellow_data", "delete", str(private_fellow.pk), "--yes")

    assert f"#{event.pk}" in str(refused.value)
    private_fellow.refresh_from_db()
    assert private_fellow.legal_name == "Kim Private"
    assert private_fellow.unavailabilities.count() == 1


def test_delete_erases_personal_data_and_keeps_past_events_pseudonymised(client, private_fellow):
    token = rotate_feed_token(fellow=private_fellow)
    assert client.get(f"/feeds/fellow/{token}.ics").status_code == 200
    speaker_request, _ = submitted()
    event = past_event(speaker_request, [private_fellow], ends=RECENTLY)
    cancelled_ahead = past_event(
        submitted(contact_email="b@example.org")[0], [private_fellow], ends=NOW + dt.timedelta(10)
    )
    event_services.cancel_event(event=cancelled_ahead)
    sheet = notifications.queue_fellow_day_sheet(
        fellow=private_fellow, day=event.starts_at.date(), events=[event]
    )

    out = StringIO()
    call_command("fellow_data", "delete", str(private_fellow.pk), "--yes", stdout=out)

    assert f"Former fellow {private_fellow.pk}" in out.getvalue()
    fellow = Fellow.objects.get(pk=private_fellow.pk)
    assert fellow.display_name == f"Former fellow {fellow.pk}"
    assert (fellow.legal_name, fellow.email, fellow.phone, fellow.home_base) == ("", "", "", "")
    assert fellow.user is None and fellow.feed_token_hash is None and not fellow.active
    assert not Unavailability.objects.filter(fellow=fellow).exists()
    assert client.get(f"/feeds/fellow/{token}.ics").status_code == 404
    user = private_fellow.user
    user.refresh_from_db()
    assert not user.is_active and user.first_name == ""
    # The past event still counts, under the pseudonym.
    assert list(event.fellows.all()) == [fellow]
    sheet.refresh_from_db()
    assert sheet.recipient_email == REDACTED_ADDRESS and "Grace" not in sheet.body_text


def test_delete_withdraws_proposals_and_names_no_home_base_in_itinerary_items(private_fellow):
    tour = TourFactory()
    secret = {"lat": 34.06, "lon": -118.3, "label": "Secret Town"}
    team = {"id": "A", "fellow_ids": [str(private_fellow.pk)], "start_location": secret}
    holding = PlanningRun.objects.create(
        tour=tour, status=PlanningRun.Status.DONE, problem={"teams": [team]}, plan={"teams": []}
    )
    other_team = {**team, "fellow_ids": [str(FellowFactory().pk)]}
    other = PlanningRun.objects.create(
        tour=tour, status=PlanningRun.Status.DONE, problem={"teams": [other_team]}, plan={}
    )
    leg = ItineraryItem.objects.create(
        tour=tour,
        kind=ItineraryItem.Kind.TRAVEL,
        title="Drive from Secret Town",
        starts_at=NOW - dt.timedelta(days=3),
        ends_at=NOW - dt.timedelta(days=3, hours=-2),
        from_location="Secret Town",
        to_location="Chicago",
    )
    leg.fellows.add(private_fellow)

    out = StringIO()
    call_command("fellow_data", "delete", str(private_fellow.pk), "--yes", stdout=out)

    holding.refresh_from_db()
    other.refresh_from_db()
    leg.refresh_from_db()
    assert (holding.problem, holding.plan) == (None, None)
    assert "erased" in holding.message
    assert other.problem == {"teams": [other_team]}  # another team's proposal is untouched
    assert (leg.title, leg.from_location, leg.to_location) == (
        "Drive from home base",
        "home base",
        "Chicago",
    )
    assert "1 proposal(s) withdrawn, 1 itinerary item(s) redacted" in out.getvalue()
