"""The staff board: who may see it, what its pages read, and that its actions use the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import board_map, proposals, selectors, services
from events.models import Event, PlanningRun, SpeakerRequest
from fellows.models import Tour, TourMember
from notifications.models import Notification
from planner.model import Location
from tests.conftest import local
from tests.factories import (
    FellowFactory,
    ItineraryItemFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    TourFactory,
    TourMemberFactory,
    UserFactory,
)

DAY = dt.date(2027, 3, 2)  # a Tuesday inside the factories' tour


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def book(tour, fellows, *, day=DAY, hour=10, **request_fields) -> Event:
    speaker_request = SpeakerRequestFactory(**request_fields)
    RequestWindowFactory(request=speaker_request)
    return services.book_event(
        tour=tour,
        fellows=fellows,
        starts_at=local(day, hour),
        ends_at=local(day, hour + 1),
        request=speaker_request,
    )


# -- permissions -----------------------------------------------------------------------------

BOARD_PAGES = [
    ("board:home", []),
    ("board:requests", []),
    ("board:outbox", []),
    ("board:impact", []),
    ("board:tour-create", []),
]


@pytest.mark.parametrize(("name", "args"), BOARD_PAGES)
def test_anonymous_visitors_are_sent_to_log_in(db, client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("board:login"))


@pytest.mark.parametrize(("name", "args"), BOARD_PAGES)
def test_signed_in_non_staff_are_refused(db, client, name, args):
    client.force_login(UserFactory(is_staff=False))
    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), BOARD_PAGES)
def test_staff_see_every_board_page(staff_client, name, args):
    assert staff_client.get(reverse(name, args=args)).status_code == 200


def test_staff_see_tour_and_event_pages_and_non_staff_cannot_act(db, client, tour, fellow):
    event = book(tour, [fellow])
    client.force_login(UserFactory(is_staff=False))
    assert (
        client.post(reverse("board:event-cancel", args=[event.pk]), {"really": "yes"}).status_code
        == 403
    )
    event.refresh_from_db()
    assert event.status == Event.Status.TENTATIVE
    client.force_login(UserFactory(username="staffer", is_staff=True))
    assert client.get(reverse("board:tour", args=[tour.pk])).status_code == 200
    assert client.get(reverse("board:event", args=[event.pk])).status_code == 200


def test_actions_refuse_get(staff_client, tour, fellow):
    event = book(tour, [fellow])
    assert staff_client.get(reverse("board:event-cancel", args=[event.pk])).status_code == 405
    assert staff_client.get(reverse("board:tour-confirm", args=[tour.pk])).status_code == 405


def test_actions_need_a_csrf_token(staff_user, tour, fellow):
    event = book(tour, [fellow])
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post(reverse("board:event-cancel", args=[event.pk]), {"really": "yes"})
    assert response.status_code == 403
    assert "Please send the form again" in response.content.decode()  # words, a way back
    event.refresh_from_db()
    assert event.status == Event.Status.TENTATIVE


def test_a_board_action_after_the_session_ended_loads_the_sign_in_page_whole(tour, fellow):
    """Signed out in another tab, then a click that htmx sends: the answer tells htmx to load
    the sign-in page as a page (HX-Redirect), not to swap it into the panel."""
    event = book(tour, [fellow])
    signed_out = Client()
    path = reverse("board:event", args=[event.pk])

    page = f"http://testserver{reverse('board:tour', args=[tour.pk])}"
    from_htmx = signed_out.get(path, headers={"HX-Request": "true", "HX-Current-URL": page})
    plain = signed_out.get(path)

    assert from_htmx.status_code == 200 and from_htmx.content == b""
    # Signing in leads back to the page the click came from, not to the action's URL.
    tour_page = reverse("board:tour", args=[tour.pk]).replace("/", "%2F")
    assert from_htmx["HX-Redirect"] == f"{reverse('board:login')}?next={tour_page}"
    assert plain.status_code == 302 and plain["Location"].startswith(reverse("board:login"))


def test_a_sign_in_form_left_open_in_another_tab_leads_to_the_board(staff_user):
    """Two tabs on the sign-in page: signing in in the first gives the session a new token, so
    the second one's form is stale; its user is signed in already and is taken to the board."""
    staff_user.set_password("correct-horse-battery")
    staff_user.save()
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("board:login"))
    stale = browser.cookies["csrftoken"].value  # the second tab's form carries this one
    fields = {"username": staff_user.username, "password": "correct-horse-battery"}
    first = browser.post(reverse("board:login"), {**fields, "csrfmiddlewaretoken": stale})
    assert first.status_code == 302

    second = browser.post(reverse("board:login"), {**fields, "csrfmiddlewaretoken": stale})

    assert second.status_code == 302 and second["Location"] == reverse("board:home")


# -- selectors -------------------------------------------------------------------------------


def test_totals_count_active_events_audiences_and_route(tour):
    grace, daniel = FellowFactory(), FellowFactory()
    TourMemberFactory(tour=tour, fellow=grace, team="A")
    TourMemberFactory(tour=tour, fellow=daniel, team="B")
    first = book(tour, [grace], expected_audience=100)  # New York
    book(
        tour,
        [grace],
        day=DAY + dt.timedelta(days=1),
        expected_audience=50,
        city="Philadelphia",
        latitude=39.9526,
        longitude=-75.1652,
    )
    book(tour, [daniel], expected_audience=70, attendance_count=65)
    gone = book(tour, [daniel], day=DAY + dt.timedelta(days=2), expected_audience=999)
    services.cancel_event(event=gone)
    Event.objects.filter(pk=first.pk).update(attendance=90)

    events = list(selectors.tour_events(tour=tour))
    routes = selectors.tour_routes(tour=tour, events=events)
    totals = selectors.tour_totals(events=events, routes=routes)

    assert totals.events == 3
    assert totals.expected_audience == 220
    assert totals.reported_audience == 90 + 65
    assert [r.team for r in routes] == ["A", "B"]
    route_a = routes[0]
    assert [e.city for e in route_a.stops] == ["New York", "Philadelphia"]
    # Tour start (lower Manhattan) → venue (midtown) → Philadelphia: about 5 + 170 road km.
    assert 150 < route_a.km < 220
    assert totals.km == round(sum(r.km for r in routes), 1)
    assert totals.driving_hours == round(sum(r.driving_minutes for r in routes) / 60, 1)
    assert len(route_a.points) == 3  # the start plus two stops


def test_route_totals_of_a_tour_that_never_flies_count_the_drive(tour):
    """New York to Memphis is a flight in the travel model; a tour whose flight cap is 0 drives
    it (in stages), and its route totals say so, as the planner's legs do."""
    from planner.travel import DEFAULT_MODEL, great_circle_km

    grace = FellowFactory()
    TourMemberFactory(tour=tour, fellow=grace, team="A")
    book(tour, [grace])  # New York
    book(
        tour,
        [grace],
        day=DAY + dt.timedelta(days=3),
        city="Memphis",
        state="TN",
        latitude=35.1495,
        longitude=-90.0490,
    )
    events = list(selectors.tour_events(tour=tour))
    flying = selectors.tour_routes(tour=tour, events=events)[0]
    tour.max_flights_per_week = 0
    tour.save()
    driving = selectors.tour_routes(tour=tour, events=events)[0]

    far = great_circle_km(*(Location(e.latitude, e.longitude) for e in events))
    assert far > DEFAULT_MODEL.flight_threshold_km
    assert flying.km < far * 1.1 and flying.driving_minutes < 3 * 60
    assert driving.km > far * 1.25  # road km, not air km
    assert driving.driving_minutes > far * 1.25 / DEFAULT_MODEL.drive_kmh * 60


def test_labels_of_nearby_stops_do_not_overlap():
    """Three stops a dot apart (Chicago's suburbs at the scale of a region): each city's name
    gets its own place, clear of the other names and of the other dots."""
    dot, font = 4.0, 5.0
    stops = [
        (100.0, 100.0, "Naperville, IL"),
        (104.0, 101.0, "Aurora, IL"),
        (101.0, 96.0, "Wheaton, IL"),
    ]
    spots = board_map.place_labels(stops, dot=dot, font=font)
    boxes = [
        board_map._label_box(x, y, text, spot, font)
        for (x, y, text), spot in zip(stops, spots, strict=True)
    ]
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes):
            if i != j:
                assert board_map._overlap(a, b) == 0, (stops[i][2], stops[j][2])
        for j, (x, y, _text) in enumerate(stops):
            if j != i:
                assert board_map._overlap(a, (x - dot, y - dot, x + dot, y + dot)) == 0
    # A stop alone keeps the usual place, above and to the right of its dot.
    (alone,) = board_map.place_labels([(0.0, 0.0, "Chicago, IL")], dot=dot, font=font)
    assert (alone.dx, alone.dy, alone.anchor) == (dot, -dot, "start")


def test_route_points_land_inside_the_outline_where_expected():
    shape = board_map.outline()
    new_york = board_map.project(40.75, -73.99)
    los_angeles = board_map.project(34.05, -118.24)
    seattle = board_map.project(47.6, -122.3)
    for x, y in (new_york, los_angeles, seattle):
        assert 0 < x < shape["width"] and 0 < y < shape["height"]
    assert los_angeles[0] < new_york[0]  # west is left
    assert seattle[1] < los_angeles[1]  # north is up
    assert shape["paths"] and all(p.startswith("M") and p.endswith("Z") for p in shape["paths"])


def test_timeline_puts_events_and_items_on_their_local_day_per_team(tour):
    grace = FellowFactory()
    TourMemberFactory(tour=tour, fellow=grace, team="A")
    # 22:30 in Los Angeles is already the next day in UTC; the timeline uses the venue's day.
    event = services.book_event(
        tour=tour,
        fellows=[grace],
        starts_at=dt.datetime(2027, 3, 3, 6, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 3, 7, 30, tzinfo=dt.UTC),
        title="Late talk",
        timezone="America/Los_Angeles",
        override_reason="Host asked for late",
    )
    item = ItineraryItemFactory(tour=tour, fellows=[grace])
    team_names, days = selectors.tour_timeline(tour=tour)
    assert team_names == ["A"]
    assert len(days) == (tour.end_date - tour.start_date).days + 1
    by_day = {d.day: d for d in days}
    assert [e.event for e in by_day[DAY].teams["A"] if e.event] == [event]
    assert [e.item for e in by_day[DAY].teams["A"] if e.item] == [item]


def test_timeline_shows_a_moved_event_once_and_a_cancelled_one_as_cancelled(tour):
    grace = FellowFactory()
    TourMemberFactory(tour=tour, fellow=grace, team="A")
    old = book(tour, [grace], hour=10)
    Event.objects.filter(pk=old.pk).update(status=Event.Status.CANCELLED)  # as a move leaves it
    moved = services.book_event(
        tour=tour,
        fellows=[grace],
        starts_at=local(DAY, 14),
        ends_at=local(DAY, 15),
        request=old.request,
    )
    dropped = book(tour, [grace], day=DAY + dt.timedelta(days=1))
    services.cancel_event(event=dropped)
    _names, days = selectors.tour_timeline(tour=tour)
    shown = [e.event for d in days for e in d.teams["A"] if e.event]
    assert moved in shown and dropped in shown
    assert old not in shown


def test_timeline_query_count_does_not_grow_with_events(tour):
    fellows = [FellowFactory() for _ in range(3)]
    for fellow in fellows:
        TourMemberFactory(tour=tour, fellow=fellow)
    book(tour, fellows[:1])

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            events = list(selectors.tour_events(tour=tour))
            selectors.tour_timeline(tour=tour, events=events)
            selectors.tour_routes(tour=tour, events=events)
        return len(queries)

    one = count_queries()
    book(tour, fellows[1:2], day=DAY + dt.timedelta(days=1))
    book(tour, fellows[2:3], day=DAY + dt.timedelta(days=2))
    assert count_queries() == one


def test_request_queue_sorts_and_filters(staff_client):
    small = SpeakerRequestFactory(expected_audience=20, state="CA")
    large = SpeakerRequestFactory(expected_audience=900, state="NY")
    RequestWindowFactory(request=small, start_date=DAY, end_date=DAY)
    RequestWindowFactory(
        request=large, start_date=DAY + dt.timedelta(days=20), end_date=DAY + dt.timedelta(days=21)
    )
    assert list(selectors.request_queue(sort="audience")) == [large, small]
    assert list(selectors.request_queue(sort="first_window")) == [small, large]
    response = staff_client.get(reverse("board:requests"), {"state": "ca", "sort": "audience"})
    assert list(response.context["page"]) == [small]
    response = staff_client.get(reverse("board:requests"), {"date_to": "not-a-date"})
    assert response.status_code == 200  # a bad filter is shown, not a crash


def test_impact_counts_held_events_reports_declines_and_left_out(tour):
    grace = FellowFactory()
    TourMemberFactory(tour=tour, fellow=grace)
    held = book(tour, [grace])
    services.confirm_event(event=held)
    SpeakerRequest.objects.filter(pk=held.request_id).update(
        attendance_count=200, first_time_count=150
    )
    book(tour, [grace], day=DAY + dt.timedelta(days=1))  # tentative: not held
    declined = SpeakerRequestFactory(status=SpeakerRequest.Status.DECLINED)
    RequestWindowFactory(request=declined)
    PlanningRun.objects.create(
        tour=tour,
        status=PlanningRun.Status.DONE,
        plan={"teams": [], "left_out": [{"request_id": "1", "reason": "x", "message": "y"}]},
    )
    other = TourFactory(start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 9, 10))

    after = local(DAY, 12) + dt.timedelta(days=10)
    total, per_tour = selectors.impact(season=2027, now=after)
    assert [row.label for row in per_tour] == [tour.name]
    assert total.events_held == 1
    assert total.audience_reported == 200
    assert total.first_time_share == pytest.approx(0.75)
    assert total.declined == 1
    assert total.left_out == 1
    before, _ = selectors.impact(season=2027, now=local(DAY, 8))
    assert before.events_held == 0 and before.first_time_share is None
    assert selectors.seasons() == [2027, 2026]
    assert selectors.impact(season=2026, now=after)[1][0].label == other.name


# -- actions ---------------------------------------------------------------------------------


def _tour_form(**changes) -> dict:
    """The board's new-tour form as staff fill it in, from Philadelphia (ZIP 19103)."""
    return {
        "start_date": "2027-04-05",
        "end_date": "2027-04-18",
        "start_zip": "19103",
        "max_events_per_day": 2,
        "min_gap_minutes": 60,
        "max_driving_hours_per_day": "6",
        "work_day_start": "08:00",
        "work_day_end": "21:00",
        "max_flights_per_week": "1",
        **changes,
    }


def test_create_tour_form_makes_a_tour_with_teams_located_by_zip(staff_client):
    grace, daniel = FellowFactory(), FellowFactory()
    response = staff_client.post(
        reverse("board:tour-create"),
        _tour_form(
            name="Spring East",
            rest_weekdays=["6"],
            region_state_codes="pa, NJ; de",
            region_radius_km="400",
            team_a=[grace.pk],
            team_b=[daniel.pk],
        ),
    )
    tour = Tour.objects.get(name="Spring East")
    assert tour.region_states == ["PA", "NJ", "DE"] and tour.region_radius_km == 400
    assert tour.flight_worth_attendees == 150 and tour.max_flights_per_week == 1
    assert response.status_code == 302 and response["Location"].endswith(f"/tours/{tour.pk}/")
    assert tour.start_location == "Philadelphia, PA" and tour.timezone == "America/New_York"
    assert tour.rest_weekdays == [6]
    assert tour.earliest_departure == dt.time(7)  # left empty: the default
    assert dict(TourMember.objects.filter(tour=tour).values_list("fellow_id", "team")) == {
        grace.pk: "A",
        daniel.pk: "B",
    }


@pytest.mark.parametrize(
    ("work_day_start", "earliest_departure", "saved"),
    [("06:00", "", dt.time(6)), ("08:30", "06:45", dt.time(6, 45)), ("08:00", "09:00", None)],
)
def test_the_tour_form_keeps_the_earliest_departure_before_the_working_day(
    staff_client, work_day_start, earliest_departure, saved
):
    """Left empty it is 7:00, or the working day's start when that is earlier; one after the
    working day's start is refused with the field's error and nothing is saved."""
    fields = _tour_form(
        name="Early East",
        work_day_start=work_day_start,
        earliest_departure=earliest_departure,
        team_a=[FellowFactory().pk],
    )
    response = staff_client.post(reverse("board:tour-create"), fields)
    tour = Tour.objects.filter(name="Early East").first()
    if saved is None:
        assert response.status_code == 400 and tour is None
        assert "no later than the working day" in response.content.decode()
    else:
        assert response.status_code == 302 and tour is not None
        assert tour.earliest_departure == saved
        team = proposals.build_problem(tour).teams[0]
        assert team.earliest_departure == saved


def test_create_tour_refuses_a_fellow_in_both_teams_and_a_bad_zip(staff_client):
    grace = FellowFactory()
    response = staff_client.post(
        reverse("board:tour-create"),
        {
            "name": "Broken",
            "start_date": "2027-04-05",
            "end_date": "2027-04-01",
            "start_zip": "00000",
            "max_events_per_day": 2,
            "min_gap_minutes": 60,
            "max_driving_hours_per_day": "6",
            "work_day_start": "08:00",
            "work_day_end": "21:00",
            "region_state_codes": "California",
            "team_a": [grace.pk],
            "team_b": [grace.pk],
        },
    )
    assert response.status_code == 400
    assert "start_zip" in response.context["form"].errors
    assert "region_state_codes" in response.context["form"].errors
    assert not Tour.objects.filter(name="Broken").exists()


def test_reschedule_shows_conflicts_before_saving_and_saves_nothing(staff_client, tour, fellow):
    first = book(tour, [fellow], hour=10)
    second = book(tour, [fellow], hour=15)
    url = reverse("board:event-reschedule", args=[second.pk])
    response = staff_client.post(url, {"day": DAY.isoformat(), "start": "10:30", "end": "11:30"})
    assert response.status_code == 409
    codes = {f.code for f in response.context["findings"]}
    assert "overlap" in codes
    second.refresh_from_db()
    assert second.starts_at == local(DAY, 15) and first.status == Event.Status.TENTATIVE


def test_reschedule_outside_the_window_needs_a_reason_then_saves(staff_client, tour, fellow):
    event = book(tour, [fellow], hour=10)
    url = reverse("board:event-reschedule", args=[event.pk])
    late = {"day": DAY.isoformat(), "start": "21:30", "end": "22:30"}
    refused = staff_client.post(url, late)
    assert refused.status_code == 409
    assert "override_required" in {f.code for f in refused.context["findings"]}
    checked = staff_client.post(
        url, {**late, "override_reason": "Host's evening gala", "check": "1"}
    )
    assert checked.status_code == 200
    assert {f.code for f in checked.context["findings"]} >= {"outside_window"}
    event.refresh_from_db()
    assert event.starts_at == local(DAY, 10)  # checking saves nothing
    saved = staff_client.post(url, {**late, "override_reason": "Host's evening gala"})
    assert saved.status_code == 302
    event.refresh_from_db()
    assert event.starts_at == local(DAY, 21, 30)
    assert event.window_override_reason == "Host's evening gala"


def test_bad_reschedule_input_is_a_form_error_not_a_crash(staff_client, tour, fellow):
    event = book(tour, [fellow])
    url = reverse("board:event-reschedule", args=[event.pk])
    response = staff_client.post(url, {"day": "someday", "start": "25:00", "end": ""})
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"day", "start", "end"}


def test_confirm_selected_events_queues_invites_and_history_names_the_user(
    staff_client, staff_user, tour, fellow
):
    first = book(tour, [fellow], hour=10)
    second = book(tour, [fellow], hour=15)
    response = staff_client.post(
        reverse("board:tour-confirm", args=[tour.pk]), {"event_ids": [first.pk, second.pk]}
    )
    assert response.status_code == 302
    assert set(Event.objects.values_list("status", flat=True)) == {Event.Status.CONFIRMED}
    assert Notification.objects.filter(kind=Notification.Kind.CONFIRMATION).count() == 2
    trail = selectors.event_history(event=first)
    assert trail[0]["who"] == staff_user
    assert {"field": "status", "old": "tentative", "new": "confirmed"} in trail[0]["changes"]
    page = staff_client.get(reverse("board:event", args=[first.pk]))
    assert staff_user.username in page.content.decode()


def test_cancel_needs_the_box_ticked_then_sends_the_cancellation(staff_client, tour, fellow):
    event = services.confirm_event(event=book(tour, [fellow]))
    url = reverse("board:event-cancel", args=[event.pk])
    staff_client.post(url, {})
    event.refresh_from_db()
    assert event.status == Event.Status.CONFIRMED
    staff_client.post(url, {"really": "yes"})
    event.refresh_from_db()
    assert event.status == Event.Status.CANCELLED
    assert Notification.objects.filter(kind=Notification.Kind.CANCELLATION, event=event).exists()


def test_lock_and_unlock(staff_client, tour, fellow):
    event = book(tour, [fellow])
    url = reverse("board:event-lock", args=[event.pk])
    staff_client.post(url, {"locked": "1"})
    event.refresh_from_db()
    assert event.locked
    staff_client.post(url, {"locked": "0"})
    event.refresh_from_db()
    assert not event.locked
    services.cancel_event(event=event)
    response = staff_client.post(url, {"locked": "1"}, follow=True)
    event.refresh_from_db()
    assert not event.locked
    assert "cannot be locked" in response.content.decode()


def test_bulk_decline_goes_through_intake_and_needs_a_reason(staff_client):
    first, second = SpeakerRequestFactory(), SpeakerRequestFactory()
    url = reverse("board:requests-bulk")
    staff_client.post(url, {"action": "decline", "request_ids": [first.pk, second.pk]})
    assert SpeakerRequest.objects.filter(status=SpeakerRequest.Status.DECLINED).count() == 0
    staff_client.post(
        url,
        {"action": "decline", "request_ids": [first.pk, second.pk], "reason": "Full season."},
    )
    first.refresh_from_db()
    assert first.status == SpeakerRequest.Status.DECLINED and first.decline_reason == "Full season."
    assert Notification.objects.filter(kind=Notification.Kind.DECLINE).count() == 2


def test_bulk_mark_in_review_reports_refused_moves(staff_client):
    fresh = SpeakerRequestFactory()
    done = SpeakerRequestFactory(status=SpeakerRequest.Status.COMPLETED)
    response = staff_client.post(
        reverse("board:requests-bulk"),
        {"action": "in_review", "request_ids": [fresh.pk, done.pk]},
        follow=True,
    )
    fresh.refresh_from_db()
    done.refresh_from_db()
    assert fresh.status == SpeakerRequest.Status.IN_REVIEW
    assert done.status == SpeakerRequest.Status.COMPLETED
    assert done.reference in response.content.decode()


def test_outbox_lists_by_status_and_retries_dead_rows(staff_client):
    dead = Notification.objects.create(
        kind=Notification.Kind.DECLINE,
        recipient_email="host@example.org",
        subject="Sorry",
        body_text="…",
        dedupe_key="test:dead",
        status=Notification.Status.DEAD,
        attempts=8,
        last_error="550 mailbox unavailable",
    )
    Notification.objects.create(
        kind=Notification.Kind.DECLINE,
        recipient_email="other@example.org",
        subject="Sent one",
        body_text="…",
        dedupe_key="test:sent",
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
    )
    page = staff_client.get(reverse("board:outbox"), {"status": "dead"})
    assert list(page.context["page"]) == [dead]
    assert page.context["counts"]["sent"] == 1
    staff_client.post(reverse("board:outbox-retry", args=[dead.pk]))
    dead.refresh_from_db()
    assert dead.status == Notification.Status.PENDING and dead.attempts == 0
    response = staff_client.post(reverse("board:outbox-retry", args=[dead.pk]), follow=True)
    assert "Only a failed or dead message can be retried." in response.content.decode()


def test_propose_without_teams_says_why_and_queues_nothing(staff_client):
    empty = TourFactory()
    response = staff_client.post(
        reverse("board:tour-propose", args=[empty.pk]), {"seconds": 1}, follow=True
    )
    assert "Add fellows to the tour" in response.content.decode()
    assert not PlanningRun.objects.filter(tour=empty).exists()


def test_progress_fragment_and_partial_accept(staff_client, tour, fellow):
    for index in range(3):
        speaker_request = SpeakerRequestFactory(expected_audience=100 + index)
        RequestWindowFactory(request=speaker_request)
    run = PlanningRun.objects.create(tour=tour, seconds=1, seed=1)
    fragment = staff_client.get(reverse("board:run-progress", args=[run.pk]))
    assert b'hx-trigger="every 1s"' in fragment.content
    run = proposals.run_proposal(run.pk)
    fragment = staff_client.get(reverse("board:run-progress", args=[run.pk]))
    assert b"every 1s" not in fragment.content and b"Review the proposal" in fragment.content
    proposed = selectors.proposed_events(run=run)
    assert proposed
    chosen = proposed[0]["request_id"]
    staff_client.post(reverse("board:run-accept", args=[run.pk]), {"request_ids": [chosen]})
    assert list(Event.objects.filter(tour=tour).values_list("request_id", flat=True)) == [
        int(chosen)
    ]
    page = staff_client.get(reverse("board:tour", args=[tour.pk]))
    assert page.status_code == 200
    assert f'id="event-{Event.objects.get().pk}"'.encode() in page.content


def test_odd_input_never_breaks_a_page(staff_client, tour):
    bulk = staff_client.post(
        reverse("board:requests-bulk"), {"action": "nope", "query": "state=NY\r\nX-Evil: 1"}
    )
    assert bulk.status_code == 302 and "\n" not in bulk["Location"]
    retry = staff_client.post(reverse("board:outbox-retry", args=[999999]), {"status": "x"})
    assert retry.status_code == 404
    assert staff_client.get(reverse("board:impact"), {"season": "soon"}).status_code == 200
    accept = staff_client.post(reverse("board:run-accept", args=[999999]), {})
    assert accept.status_code == 404
    propose = staff_client.post(reverse("board:tour-propose", args=[tour.pk]), {"seconds": "x"})
    assert propose.status_code == 302
    assert not PlanningRun.objects.exists()


# -- the proposal's map and notes --------------------------------------------------------------

PHILADELPHIA = {"city": "Philadelphia", "state": "PA", "latitude": 39.9526, "longitude": -75.1652}
PRINCETON = {"city": "Princeton", "state": "NJ", "latitude": 40.3573, "longitude": -74.6672}


def propose(tour) -> PlanningRun:
    return proposals.run_proposal(PlanningRun.objects.create(tour=tour, seconds=1, seed=0).pk)


def test_proposal_map_numbers_the_stops_with_their_cities_over_the_region(tour, fellow):
    tour.region_states = ["NY", "NJ", "PA"]
    tour.save()
    for place in (PHILADELPHIA, PRINCETON):
        RequestWindowFactory(request=SpeakerRequestFactory(**place, expected_audience=300))
    run = propose(tour)
    shown = selectors.proposal_map(run=run)
    (route,) = shown.routes
    assert route.region == "NJ, NY, PA"
    assert len(route.region_shapes) == 3
    assert [stop.number for stop in route.stops] == [1, 2]
    assert {stop.city for stop in route.stops} == {"Philadelphia, PA", "Princeton, NJ"}
    # The route leaves the start and comes home: its first leg starts there, its last ends there.
    assert (route.segments[0]["x1"], route.segments[0]["y1"]) == (
        route.start["x"],
        route.start["y"],
    )
    assert (route.segments[-1]["x2"], route.segments[-1]["y2"]) == (
        route.home["x"],
        route.home["y"],
    )
    left, top, width, height = map(float, shown.view_box.split())
    for stop in route.stops:
        assert left <= stop.x <= left + width and top <= stop.y <= top + height
        assert stop.label is not None and stop.label.anchor in {"start", "middle", "end"}


def test_preferred_window_notes_name_the_rest_day_and_a_blackout_but_never_its_reason(tour, fellow):
    from fellows.services import add_unavailability

    tour.rest_weekdays = [6]
    tour.save()
    monday = tour.start_date
    sunday, wednesday = monday + dt.timedelta(days=6), monday + dt.timedelta(days=2)
    add_unavailability(
        fellow=fellow,
        starts_at=local(wednesday, 0),
        ends_at=local(wednesday + dt.timedelta(days=1), 0),
        reason="Seeing a doctor",
    )
    notes_for = {}
    for name, preferred in (("Sunday Church", sunday), ("Wednesday Forum", wednesday)):
        speaker_request = SpeakerRequestFactory(organization__name=name, **PHILADELPHIA)
        RequestWindowFactory(request=speaker_request, start_date=preferred, end_date=preferred)
        RequestWindowFactory(
            request=speaker_request,
            start_date=monday + dt.timedelta(days=3),
            end_date=monday + dt.timedelta(days=3),
            preference="possible",
        )
        notes_for[name] = str(speaker_request.pk)
    happy = SpeakerRequestFactory(organization__name="Any Day Club", **PRINCETON)
    RequestWindowFactory(request=happy)
    notes = selectors.preferred_window_notes(run=propose(tour))
    assert "the tour's rest day (Sunday)" in notes[notes_for["Sunday Church"]]
    assert "a fellow is unavailable on" in notes[notes_for["Wednesday Forum"]]
    assert str(happy.pk) not in notes  # its preferred window was open
    assert not any("doctor" in note for note in notes.values())


def test_a_request_the_acceptance_refuses_is_named_by_its_host(staff_client, tour, fellow):
    speaker_request = SpeakerRequestFactory(organization__name="Grace Korean Church")
    RequestWindowFactory(request=speaker_request)
    run = proposals.run_proposal(PlanningRun.objects.create(tour=tour, seconds=1, seed=1).pk)
    assert selectors.proposed_events(run=run)
    services.set_request_status(  # the host withdrew after the proposal was made
        speaker_request=speaker_request, status=SpeakerRequest.Status.WITHDRAWN
    )

    response = staff_client.post(
        reverse("board:run-accept", args=[run.pk]), {"accept_all": "1"}, follow=True
    )

    text = response.content.decode()
    assert f"Grace Korean Church (request {speaker_request.pk}) was not booked" in text
    assert not Event.objects.filter(request=speaker_request).exists()
