"""One write path: admin, API and board changes to a confirmed event all run the booking rules,
raise SEQUENCE and queue the host's update saying what changed; tour edits re-check bookings."""

from __future__ import annotations

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from events import intake, services
from events.models import Event
from fellows.models import Tour
from notifications.models import Notification
from tests.conftest import local
from tests.events.conftest import request_data
from tests.factories import FellowFactory, TourFactory, TourMemberFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 2)
MANHATTAN = (40.758, -73.985)
LOS_ANGELES = (34.05, -118.24)


@pytest.fixture
def booked(staff_user):
    """A fellow with a Manhattan event at 10:00 and a confirmed host event there at 14:00."""
    tour = TourFactory(start_date=DAY - dt.timedelta(days=5), end_date=DAY + dt.timedelta(days=5))
    fellow = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Grace")).fellow
    services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        title="Morning talk",
        latitude=MANHATTAN[0],
        longitude=MANHATTAN[1],
        timezone="America/New_York",
    )
    speaker_request = intake.submit_speaker_request(
        data=request_data(organization_name="St. Mark's & Barnes"), source="web"
    ).speaker_request
    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 14),
        ends_at=local(DAY, 15),
        request=speaker_request,
        override_reason="Agreed with the host.",
        venue_name="St. Mark's & Barnes",
        street="1 Main St",
        city="New York",
        state="NY",
        zip_code="10036",
        latitude=MANHATTAN[0],
        longitude=MANHATTAN[1],
        timezone="America/New_York",
    )
    return services.confirm_event(event=event)


def admin_post(client, event: Event, **changes):
    # The admin takes the venue's wall-clock time (common.local_times).
    venue = ZoneInfo(event.timezone)
    values = {
        "tour": event.tour_id,
        "title": event.title,
        "starts_at_0": event.starts_at.astimezone(venue).date().isoformat(),
        "starts_at_1": event.starts_at.astimezone(venue).time().isoformat(),
        "ends_at_0": event.ends_at.astimezone(venue).date().isoformat(),
        "ends_at_1": event.ends_at.astimezone(venue).time().isoformat(),
        "timezone": event.timezone,
        "venue_name": event.venue_name,
        "street": event.street,
        "city": event.city,
        "state": event.state,
        "zip_code": event.zip_code,
        "latitude": event.latitude,
        "longitude": event.longitude,
        "visibility": event.visibility,
        "arrival_minutes_before": event.arrival_minutes_before,
        "assigned_fellows": [f.pk for f in event.fellows.all()],
        "override_reason": "Agreed with the host.",
        "assignments-TOTAL_FORMS": 0,
        "assignments-INITIAL_FORMS": 0,
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
        **changes,
    }
    return client.post(reverse("admin:events_event_change", args=[event.pk]), values)


def updates(event: Event) -> list[Notification]:
    return list(Notification.objects.filter(event=event, kind=Notification.Kind.UPDATE))


def test_admin_moving_only_the_venue_across_the_country_is_refused(client, staff_user, booked):
    client.force_login(staff_user)

    response = admin_post(
        client, booked, city="Los Angeles", latitude=LOS_ANGELES[0], longitude=LOS_ANGELES[1]
    )

    assert response.status_code == 200  # the form again, with the rule's message
    assert "overlap" in str(response.context["adminform"].form.errors).lower()
    booked.refresh_from_db()
    assert (booked.city, booked.sequence) == ("New York", 1)
    assert updates(booked) == []


def test_admin_changing_only_the_street_raises_sequence_and_tells_the_host(
    client, staff_user, booked
):
    client.force_login(staff_user)

    response = admin_post(client, booked, street="5 Broadway")

    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.street, booked.sequence) == ("5 Broadway", 2)
    [update] = updates(booked)
    assert "Place: St. Mark's & Barnes, 1 Main St" in html.unescape(update.body_html)
    assert "5 Broadway" in update.body_text
    assert "SEQUENCE:2" in update.ics


def test_admin_day_sheet_notes_change_no_calendar_sequence(client, staff_user, booked):
    client.force_login(staff_user)

    response = admin_post(client, booked, day_sheet_notes="Bring the banner.")

    assert response.status_code == 302
    booked.refresh_from_db()
    assert (booked.day_sheet_notes, booked.sequence) == ("Bring the banner.", 1)
    assert updates(booked) == []


def test_api_reschedule_tells_the_host_old_and_new_time(staff_api, booked):
    response = staff_api.post(
        f"/api/v1/events/{booked.pk}/reschedule/",
        {
            "starts_at": local(DAY, 16).isoformat(),
            "ends_at": local(DAY, 17).isoformat(),
            "override_reason": "Host asked.",
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    [update] = updates(booked)
    assert "Time: Tue Mar 2, 2027, 2:00 PM EST → Tue Mar 2, 2027, 4:00 PM EST" in update.body_text


def test_cancellation_carries_the_reason_for_the_host(booked):
    services.cancel_event(event=booked, reason="The fellow is unwell.")

    cancellation = Notification.objects.get(event=booked, kind=Notification.Kind.CANCELLATION)
    assert "Why: The fellow is unwell." in cancellation.body_text
    assert "METHOD:CANCEL" in cancellation.ics


def test_tour_dates_that_would_strand_a_booking_are_refused_by_api_and_admin(
    client, staff_user, booked
):
    tour = booked.tour
    response = APIClient()
    response.force_authenticate(staff_user)
    refused = response.patch(
        f"/api/v1/tours/{tour.pk}/", {"end_date": (DAY - dt.timedelta(days=1)).isoformat()}
    )

    assert refused.status_code == 400
    assert "Morning talk" in str(refused.json())
    tour.refresh_from_db()
    assert tour.end_date == DAY + dt.timedelta(days=5)

    capped = response.patch(f"/api/v1/tours/{tour.pk}/", {"max_events_per_day": 1})
    assert capped.status_code == 400
    allowed = response.patch(f"/api/v1/tours/{tour.pk}/", {"name": "Spring East"})
    assert allowed.status_code == 200
    tour.refresh_from_db()
    assert (tour.name, tour.max_events_per_day) == ("Spring East", 2)


def change_form_data(response) -> dict:
    """The POST a browser would send back unchanged from an admin change form."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        widget_data = field.widget.format_value(value) if value is not None else ""
        if isinstance(value, list | tuple):
            data[name] = [v for v in value if v is not None]
        elif hasattr(field.widget, "widgets"):  # split date/time
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = part.isoformat() if part is not None else ""
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = widget_data if widget_data is not None else ""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                if value is not None and not isinstance(value, bool):
                    data[subform.add_prefix(name)] = value
                elif value:
                    data[subform.add_prefix(name)] = "on"
    return data


def test_admin_contact_change_moves_the_live_invite(client, staff_user, booked):
    client.force_login(staff_user)
    speaker_request = booked.request
    url = reverse("admin:events_speakerrequest_change", args=[speaker_request.pk])
    data = change_form_data(client.get(url))
    data["contact_email"] = "new.contact@example.org"

    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    moved = Notification.objects.filter(event=booked).order_by("pk")
    tail = [(n.kind, n.recipient_email, n.ics_method) for n in moved][-2:]
    assert tail == [
        (Notification.Kind.CANCELLATION, "dana@example.org", "CANCEL"),
        (Notification.Kind.CONFIRMATION, "new.contact@example.org", "REQUEST"),
    ]


def test_admin_cannot_set_a_request_status_by_hand(client, staff_user, booked):
    client.force_login(staff_user)
    speaker_request = booked.request
    url = reverse("admin:events_speakerrequest_change", args=[speaker_request.pk])
    data = change_form_data(client.get(url))
    data["status"] = "withdrawn"

    client.post(url, data)

    speaker_request.refresh_from_db()
    assert speaker_request.status == "confirmed"


def test_board_move_and_cancel_on_a_confirmed_event_tell_the_host(client, staff_user, booked):
    client.force_login(staff_user)

    refused = client.post(
        reverse("board:event-reschedule", args=[booked.pk]),
        {"day": DAY.isoformat(), "start": "10:30", "end": "11:30", "override_reason": "x"},
    )
    assert refused.status_code == 409  # overlaps the morning talk
    assert updates(booked) == []

    moved = client.post(
        reverse("board:event-reschedule", args=[booked.pk]),
        {"day": DAY.isoformat(), "start": "16:00", "end": "17:00", "override_reason": "Host."},
    )
    assert moved.status_code == 302
    [update] = updates(booked)
    assert "Time: Tue Mar 2, 2027, 2:00 PM EST → Tue Mar 2, 2027, 4:00 PM EST" in update.body_text

    cancelled = client.post(
        reverse("board:event-cancel", args=[booked.pk]),
        {"really": "yes", "reason": "The fellow is unwell."},
    )
    assert cancelled.status_code == 302
    cancellation = Notification.objects.get(event=booked, kind=Notification.Kind.CANCELLATION)
    assert "Why: The fellow is unwell." in cancellation.body_text


def test_admin_tour_action_rotates_the_tour_feed(client, staff_user, booked):
    client.force_login(staff_user)
    tour = booked.tour

    response = client.post(
        reverse("admin:fellows_tour_changelist"),
        {"action": "rotate_feed_tokens", "_selected_action": [tour.pk]},
        follow=True,
    )

    assert response.status_code == 200
    tour.refresh_from_db()
    assert tour.feed_token_hash
    assert "/feeds/tour/" in response.content.decode()


def test_admin_itinerary_item_edit_raises_its_sequence(client, staff_user, booked):
    from fellows.models import ItineraryItem

    item = ItineraryItem.objects.create(
        tour=booked.tour,
        kind=ItineraryItem.Kind.TRAVEL,
        title="Drive to Boston",
        starts_at=local(DAY, 16),
        ends_at=local(DAY, 20),
    )
    item.fellows.set(booked.fellows.all())
    client.force_login(staff_user)
    url = reverse("admin:fellows_itineraryitem_change", args=[item.pk])
    data = change_form_data(client.get(url))
    data["title"] = "Train to Boston"

    response = client.post(url, data)

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.sequence) == ("Train to Boston", 1)


def test_api_cancel_takes_a_reason_for_the_host(staff_api, booked):
    response = staff_api.post(
        f"/api/v1/events/{booked.pk}/cancel/", {"reason": "Snowstorm."}, format="json"
    )

    assert response.status_code == 200
    cancellation = Notification.objects.get(event=booked, kind=Notification.Kind.CANCELLATION)
    assert "Why: Snowstorm." in cancellation.body_text


def test_admin_adds_an_event_for_a_request_through_the_service(client, staff_user, booked):
    client.force_login(staff_user)
    speaker_request = intake.submit_speaker_request(
        data=request_data(contact_email="second@example.org"), source="web"
    ).speaker_request
    add = reverse("admin:events_event_add")
    data = change_form_data(client.get(add))
    starts, ends = local(DAY + dt.timedelta(days=1), 13), local(DAY + dt.timedelta(days=1), 14)
    data |= {
        "tour": booked.tour_id,
        "request": speaker_request.pk,
        "title": "Second host",
        "starts_at_0": starts.astimezone(dt.UTC).date().isoformat(),
        "starts_at_1": starts.astimezone(dt.UTC).time().isoformat(),
        "ends_at_0": ends.astimezone(dt.UTC).date().isoformat(),
        "ends_at_1": ends.astimezone(dt.UTC).time().isoformat(),
        "timezone": "America/Chicago",
        "latitude": 41.8858,
        "longitude": -87.6181,
        "assigned_fellows": [f.pk for f in booked.fellows.all()],
        "override_reason": "Agreed by phone.",
    }

    response = client.post(add, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(request=speaker_request)
    assert (event.status, event.city) == ("tentative", "Chicago")  # the request's address
    assert Notification.objects.filter(event=event, kind=Notification.Kind.PROPOSAL).exists()


def test_admin_booking_reads_times_in_the_requests_zone_and_keeps_the_tours_gap(
    client, staff_user, booked
):
    """Staff who leave the zone and arrival fields as the add form shows them book a Chicago
    host at 10:00 Chicago time, arriving by the tour's minimum gap: not New York's 10:00 (the
    field's default) and not the field's 30 minutes."""
    client.force_login(staff_user)
    speaker_request = intake.submit_speaker_request(
        data=request_data(contact_email="third@example.org"), source="web"
    ).speaker_request
    assert speaker_request.timezone == "America/Chicago"
    add = reverse("admin:events_event_add")
    data = change_form_data(client.get(add))
    day = (DAY + dt.timedelta(days=2)).isoformat()
    data |= {
        "tour": booked.tour_id,
        "request": speaker_request.pk,
        "title": "Chicago host",
        "starts_at_0": day,
        "starts_at_1": "10:00:00",
        "ends_at_0": day,
        "ends_at_1": "11:00:00",
        "assigned_fellows": [f.pk for f in booked.fellows.all()],
        "override_reason": "Agreed by phone.",
    }

    response = client.post(add, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = Event.objects.get(request=speaker_request)
    chicago = ZoneInfo("America/Chicago")
    assert event.timezone == "America/Chicago"
    assert event.starts_at == dt.datetime(2027, 3, 4, 10, tzinfo=chicago)
    assert event.arrival_minutes_before == booked.tour.min_gap_minutes != 30


def test_admin_new_zip_alone_moves_the_venue_for_the_rules(client, staff_user, booked):
    client.force_login(staff_user)

    response = admin_post(client, booked, city="Los Angeles", state="CA", zip_code="90012")

    assert response.status_code == 200
    assert "overlap" in str(response.context["adminform"].form.errors).lower()
    booked.refresh_from_db()
    assert (booked.zip_code, booked.latitude) == ("10036", MANHATTAN[0])


def test_admin_unknown_time_zone_is_a_field_error(client, staff_user, booked):
    client.force_login(staff_user)

    response = admin_post(client, booked, timezone="Not/AZone")

    assert response.status_code == 200
    assert "timezone" in response.context["adminform"].form.errors


def test_cancelling_a_proposed_time_tells_the_host(booked):
    speaker_request = intake.submit_speaker_request(
        data=request_data(contact_email="proposed@example.org"), source="web"
    ).speaker_request
    event = services.book_event(
        tour=booked.tour,
        fellows=list(booked.fellows.all()),
        starts_at=local(DAY + dt.timedelta(days=1), 10),
        ends_at=local(DAY + dt.timedelta(days=1), 11),
        request=speaker_request,
        override_reason="Agreed by phone.",
        latitude=MANHATTAN[0],
        longitude=MANHATTAN[1],
    )

    services.cancel_event(event=event, reason="The fellow is unwell.")

    notice = Notification.objects.get(event=event, kind=Notification.Kind.PROPOSAL_WITHDRAWN)
    assert notice.recipient_email == "proposed@example.org"
    assert notice.subject.startswith("No longer proposed: Wed Mar 3")
    assert "Why: The fellow is unwell." in notice.body_text
    assert not Notification.objects.filter(event=event, ics_method="CANCEL").exists()


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:00", "0001-01-01T00:30:00"])
def test_times_at_the_ends_of_the_calendar_are_a_clear_400(staff_api, booked, moment):
    response = staff_api.post(
        f"/api/v1/events/{booked.pk}/reschedule/",
        {"starts_at": moment, "ends_at": moment, "override_reason": "x"},
        format="json",
    )

    assert response.status_code == 400
    assert "between the years" in str(response.json())


def test_api_times_without_an_offset_are_the_requests_wall_clock(staff_api, booked):
    speaker_request = intake.submit_speaker_request(
        data=request_data(contact_email="chicago@example.org"), source="web"
    ).speaker_request  # a Chicago church
    response = staff_api.post(
        "/api/v1/events/",
        {
            "request": speaker_request.pk,
            "tour": booked.tour_id,
            "fellows": [f.pk for f in booked.fellows.all()],
            "starts_at": "2027-03-04T10:00:00",
            "ends_at": "2027-03-04T11:00:00",
            "override_reason": "Agreed by phone.",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    event = Event.objects.get(pk=response.json()["id"])
    assert event.timezone == "America/Chicago"
    assert event.starts_at == dt.datetime(2027, 3, 4, 16, 0, tzinfo=dt.UTC)


def test_api_creates_tours_through_the_service_with_the_models_rules(staff_user):
    api = APIClient()
    api.force_authenticate(staff_user)
    base = {
        "name": "Spring West",
        "start_date": "2027-04-05",
        "end_date": "2027-04-16",
        "start_location": "Los Angeles, CA",
        "start_latitude": 34.05,
        "start_longitude": -118.24,
        "timezone": "America/Los_Angeles",
    }
    bad = [
        ({"rest_weekdays": [7]}, "rest_weekdays", "0=Monday"),
        ({"rest_weekdays": ["6"]}, "rest_weekdays", "0=Monday"),
        ({"start_latitude": None}, "non_field_errors", "start location"),
        ({"end_date": "2027-04-01"}, "non_field_errors", "last day is before its first day"),
        ({"work_day_start": "21:00", "work_day_end": "08:00"}, "non_field_errors", "working day"),
    ]
    for change, field, words in bad:
        refused = api.post("/api/v1/tours/", {**base, **change}, format="json")
        assert refused.status_code == 400, change
        assert words in " ".join(refused.json()[field]), refused.json()
    assert not Tour.objects.filter(name="Spring West").exists()
    made = api.post("/api/v1/tours/", {**base, "rest_weekdays": [6]}, format="json")
    assert made.status_code == 201
    assert made.json()["status"] == "draft"
    assert Tour.objects.get(name="Spring West").rest_weekdays == [6]


def test_admin_sends_new_requests_to_intake_and_shows_windows_read_only(client, staff_user, booked):
    client.force_login(staff_user)
    add = client.get(reverse("admin:events_speakerrequest_add"))
    assert add.status_code == 302 and add["Location"] == reverse("events:request-speaker")
    change = client.get(
        reverse("admin:events_speakerrequest_change", args=[booked.request_id])
    ).content.decode()
    assert 'name="windows-0-start_date"' not in change  # the host's link changes windows
    assert 'name="source"' not in change and 'name="host_token_revoked"' not in change
