"""The board's record pages: one request (what the host sent, its history, its events across
tours, review, decline and booking with conflicts shown first), editing tours (teams, derived
status, overlapping tours, rest days against preferred windows) and fellows with their
unavailability. Every write goes through the services; bad input is a field error, never a 500.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from events import selectors, services
from events.models import Event, PlanningRun, RequestStatusChange, SpeakerRequest
from fellows.models import Fellow, Tour, TourMember, Unavailability
from fellows.services import rotate_feed_token
from notifications.models import Notification
from tests.conftest import local
from tests.factories import (
    FellowFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    TourFactory,
    TourMemberFactory,
    UnavailabilityFactory,
    UserFactory,
)

DAY = dt.date(2027, 3, 2)  # a Tuesday inside the factories' tour (1–28 March 2027)
SUNDAY = dt.date(2027, 3, 7)


@pytest.fixture
def staff_client(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def plain_staff_client(db) -> Client:
    """Staff without fellows.view_private_details."""
    client = Client()
    client.force_login(UserFactory(username="plain-staff", is_staff=True, password=None))
    return client


def church(**fields) -> SpeakerRequest:
    values = {
        "topics": "Escape through China",
        "notes": "Side door on Elm Street",
        "interpretation_needed": True,
        "honorarium_offered": True,
        "contact_name": "Pastor Kim",
        "contact_email": "pastor@church.example",
        "contact_phone": "+1 212 555 0199",
    }
    values.update(fields)
    speaker_request = SpeakerRequestFactory(**values)
    RequestWindowFactory(
        request=speaker_request,
        start_date=DAY,
        end_date=DAY,
        earliest_start=dt.time(9),
        latest_end=dt.time(12),
        preference="preferred",
    )
    RequestWindowFactory(
        request=speaker_request,
        start_date=DAY + dt.timedelta(days=2),
        end_date=DAY + dt.timedelta(days=3),
        earliest_start=dt.time(18),
        latest_end=dt.time(21),
        preference="possible",
    )
    return speaker_request


def booking(tour, *, day=DAY, start="10:00", end="11:00", **extra) -> dict:
    return {"where": f"{tour.pk}:A", "day": day.isoformat(), "start": start, "end": end, **extra}


# -- the request page --------------------------------------------------------------------------


def test_request_page_shows_everything_the_host_sent(staff_client):
    speaker_request = church()
    response = staff_client.get(reverse("board:request", args=[speaker_request.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Escape through China",
        "Side door on Elm Street",
        "Korean–English interpretation needed",
        "Pastor Kim",
        "pastor@church.example",
        "+1 212 555 0199",
        "America/New_York",
        "Tue Mar 2, 2027, 9:00 AM – 12:00 PM",
        "Thu Mar 4, 2027 – Fri Mar 5, 2027, 6:00 PM – 9:00 PM",
    ):
        assert text in page, text
    assert page.index("<strong>Preferred</strong>") < page.index("<strong>Possible</strong>")
    honorarium = page[page.index("Honorarium") :]
    assert honorarium.index("Offered") < honorarium.index("Travel support")


def test_queue_rows_open_the_request_page(staff_client):
    speaker_request = church()
    response = staff_client.get(reverse("board:requests"))
    assert response.status_code == 200
    assert reverse("board:request", args=[speaker_request.pk]) in response.content.decode()


def test_unknown_request_is_404(staff_client):
    assert staff_client.get(reverse("board:request", args=[999999])).status_code == 404


def test_review_moves_the_request_and_its_history_names_who(staff_client, staff_user):
    speaker_request = church()
    url = reverse("board:request-status", args=[speaker_request.pk])
    response = staff_client.post(url, {"status": "in_review"})
    assert response.status_code == 302
    speaker_request.refresh_from_db()
    assert speaker_request.status == "in_review"
    change = RequestStatusChange.objects.get(request=speaker_request)
    assert (change.old_status, change.new_status, change.changed_by) == (
        "submitted",
        "in_review",
        staff_user,
    )
    page = staff_client.get(reverse("board:request", args=[speaker_request.pk])).content.decode()
    history = page[page.index('id="request-history"') :]
    assert "coordinator" in history and "Submitted → In review" in history


def test_a_move_the_lifecycle_does_not_allow_by_hand_is_refused(staff_client):
    speaker_request = church()
    url = reverse("board:request-status", args=[speaker_request.pk])
    for status in ("completed", "declined", "nonsense", ""):
        assert staff_client.post(url, {"status": status}).status_code == 400, status
    speaker_request.refresh_from_db()
    assert speaker_request.status == "submitted"
    assert not RequestStatusChange.objects.filter(request=speaker_request).exists()


def test_decline_needs_a_reason_then_tells_the_host(staff_client):
    speaker_request = church()
    url = reverse("board:request-decline", args=[speaker_request.pk])
    refused = staff_client.post(url, {"reason": "   "})
    assert refused.status_code == 400
    assert "Tell the host why" in refused.content.decode()
    speaker_request.refresh_from_db()
    assert speaker_request.status == "submitted"

    assert staff_client.post(url, {"reason": "Our fellows are booked."}).status_code == 302
    speaker_request.refresh_from_db()
    assert speaker_request.status == "declined"
    assert speaker_request.decline_reason == "Our fellows are booked."
    assert Notification.objects.filter(speaker_request=speaker_request, kind="decline").exists()
    # Declined twice: the lifecycle refuses, and says so beside the form.
    again = staff_client.post(url, {"reason": "Again"})
    assert again.status_code == 409
    assert "cannot be declined" in again.content.decode()


def test_booking_shows_a_conflict_before_saving_anything(staff_client, tour, fellow):
    other = SpeakerRequestFactory()
    RequestWindowFactory(request=other)
    services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=other,
    )
    speaker_request = church()
    url = reverse("board:request-book", args=[speaker_request.pk])
    for extra in ({"check": "1"}, {}):
        response = staff_client.post(url, booking(tour, **extra))
        assert response.status_code == 409
        assert 'data-code="overlap"' in response.content.decode()
    assert not speaker_request.events.exists()


def test_booking_warns_outside_the_windows_and_books_with_a_reason(staff_client, tour, fellow):
    speaker_request = church()
    url = reverse("board:request-book", args=[speaker_request.pk])
    evening = booking(tour, start="19:00", end="20:00", check="1")
    checked = staff_client.post(url, evening)
    assert checked.status_code == 409  # a warning without a reason is not bookable yet
    assert 'data-code="outside_window"' in checked.content.decode()
    assert not speaker_request.events.exists()

    evening.pop("check")
    evening["override_reason"] = "The pastor asked by phone."
    assert staff_client.post(url, evening).status_code == 302
    event = speaker_request.events.get()
    assert event.status == Event.Status.TENTATIVE and event.tour == tour
    assert list(event.fellows.all()) == [fellow]
    assert event.starts_at == local(DAY, 19)
    speaker_request.refresh_from_db()
    assert speaker_request.status == "proposed"
    assert Notification.objects.filter(event=event, kind="proposal").exists()
    page = staff_client.get(reverse("board:request", args=[speaker_request.pk])).content.decode()
    assert tour.name in page and "no answer yet" in page


def test_booking_inside_the_window_checks_clean_then_books(staff_client, tour, fellow):
    speaker_request = church()
    url = reverse("board:request-book", args=[speaker_request.pk])
    checked = staff_client.post(url, booking(tour, check="1"))
    assert checked.status_code == 200
    assert "No conflicts and no warnings" in checked.content.decode()
    assert not speaker_request.events.exists()
    assert staff_client.post(url, booking(tour)).status_code == 302
    assert speaker_request.events.get().starts_at == local(DAY, 10)


@pytest.mark.parametrize(
    "changes",
    [
        {"day": "2027-02-30"},
        {"day": "not a date"},
        {"start": "25:00"},
        {"end": "09:00"},
        {"where": "999999:A"},
        {"where": "garbage"},
        {"override_reason": "x" * 501},
    ],
)
def test_bad_booking_input_is_a_field_error(staff_client, tour, fellow, changes):
    speaker_request = church()
    data = {**booking(tour), **changes}
    response = staff_client.post(reverse("board:request-book", args=[speaker_request.pk]), data)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not speaker_request.events.exists()


def test_events_across_tours_and_the_hosts_answer_are_on_the_request_page(
    staff_client, tour, fellow
):
    speaker_request = church()
    second_tour = TourFactory(name="Autumn West")
    TourMemberFactory(tour=second_tour, fellow=FellowFactory(display_name="Min"))
    first = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=speaker_request,
    )
    services.cancel_event(event=first, reason="Storm")
    second = services.book_event(
        tour=second_tour,
        fellows=list(Fellow.objects.filter(display_name="Min")),
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=SpeakerRequest.objects.get(pk=speaker_request.pk),
    )
    services.answer_proposal(speaker_request=second.request, works=False, comment="Too early")
    page = staff_client.get(reverse("board:request", args=[speaker_request.pk])).content.decode()
    events = page[page.index('id="request-events"') :]
    assert tour.name in events and "Autumn West" in events
    assert "Storm" in events and "Too early" in events and "does not work" in events


def test_event_panel_carries_topics_notes_interpretation_and_the_request_link(
    staff_client, tour, fellow
):
    speaker_request = church()
    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=speaker_request,
    )
    page = staff_client.get(reverse("board:event", args=[event.pk])).content.decode()
    for text in (
        "Escape through China",
        "Side door on Elm Street",
        "Korean–English interpretation needed",
        "+1 212 555 0199",
        reverse("board:request", args=[speaker_request.pk]),
    ):
        assert text in page, text


def test_day_sheets_give_the_host_details_to_the_fellows_of_that_event_only(client, tour, fellow):
    speaker_request = church()
    services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=speaker_request,
    )
    team_mate = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Min")).fellow
    other = SpeakerRequestFactory(contact_name="Other Host", topics="Other topics")
    RequestWindowFactory(request=other)
    services.book_event(
        tour=tour,
        fellows=[team_mate],
        starts_at=local(DAY, 15),
        ends_at=local(DAY, 16),
        request=other,
    )

    def sheet(someone) -> str:
        token = rotate_feed_token(fellow=someone)
        response = client.get(reverse("fellows:token-day-sheets", args=[token]) + "?all=1")
        assert response.status_code == 200
        return response.content.decode()

    mine, theirs = sheet(fellow), sheet(team_mate)
    for text in (
        "Escape through China",
        "Side door on Elm Street",
        "An interpreter is needed",
        "Pastor Kim",
        "pastor@church.example",
        "+1 212 555 0199",
    ):
        assert text in mine, text
        assert text not in theirs, text
    assert "Other Host" in theirs and "Other Host" not in mine


# -- tours ------------------------------------------------------------------------------------


def tour_form(tour: Tour, **changes) -> dict:
    members = {m.fellow_id: m.team for m in tour.members.all()}
    values = {
        "name": tour.name,
        "start_date": tour.start_date.isoformat(),
        "end_date": tour.end_date.isoformat(),
        "region": tour.region,
        "max_events_per_day": tour.max_events_per_day,
        "min_gap_minutes": tour.min_gap_minutes,
        "default_event_minutes": tour.default_event_minutes,
        "max_driving_hours_per_day": str(tour.max_driving_hours_per_day),
        "work_day_start": "08:00",
        "work_day_end": "21:00",
        "rest_weekdays": [str(day) for day in tour.rest_weekdays],
        "region_state_codes": ", ".join(tour.region_states),
        "max_flights_per_week": "1",
        **{
            f"team_{team.lower()}": [pk for pk, its_team in members.items() if its_team == team]
            for team in {"A", "B", *members.values()}
        },
    }
    values.update(changes)
    return values


def test_edit_page_shows_the_tour_as_it_is(staff_client, tour, fellow):
    tour.region_states = ["NY", "NJ"]
    tour.save()
    response = staff_client.get(reverse("board:tour-edit", args=[tour.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["region_state_codes"].value() == "NY, NJ"
    assert list(form["team_a"].value()) == [fellow.pk]


def test_edit_tour_changes_dates_rules_region_end_and_teams(staff_client, tour, fellow):
    daniel = FellowFactory(display_name="Daniel")
    url = reverse("board:tour-edit", args=[tour.pk])
    response = staff_client.post(
        url,
        tour_form(
            tour,
            end_date="2027-03-20",
            max_events_per_day=3,
            min_gap_minutes=90,
            rest_weekdays=["5", "6"],
            region_state_codes="ny, pa",
            end_zip="19103",
            team_b=[daniel.pk],
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("board:tour", args=[tour.pk])
    tour.refresh_from_db()
    assert tour.end_date == dt.date(2027, 3, 20)
    assert (tour.max_events_per_day, tour.min_gap_minutes) == (3, 90)
    assert tour.rest_weekdays == [5, 6] and tour.region_states == ["NY", "PA"]
    assert tour.end_location == "Philadelphia, PA" and tour.end_latitude is not None
    assert (tour.start_latitude, tour.start_longitude) == (40.71, -74.01)  # kept
    assert dict(tour.members.values_list("fellow_id", "team")) == {fellow.pk: "A", daniel.pk: "B"}


def test_a_tour_of_three_teams_is_made_and_edited_without_moving_anyone(staff_client, tour, fellow):
    daniel, mina, joon = (FellowFactory(display_name=name) for name in ("Daniel", "Mina", "Joon"))
    url = reverse("board:tour-edit", args=[tour.pk])
    page = staff_client.get(url).content.decode()
    assert 'name="team_c"' in page and "Team C (optional)" in page
    response = staff_client.post(url, tour_form(tour, team_b=[daniel.pk], team_c=[mina.pk]))
    assert response.status_code == 302
    assert dict(tour.members.values_list("fellow_id", "team")) == {
        fellow.pk: "A",
        daniel.pk: "B",
        mina.pk: "C",
    }
    # A team named through the API keeps its name and its fellows when the board edits the tour.
    TourMember.objects.create(tour=tour, fellow=joon, role="fellow", team="North")
    form = staff_client.get(url).context["form"]
    north = form.team_fields["North"]
    assert list(form[north].value()) == [joon.pk]
    again = staff_client.post(url, {**tour_form(tour, min_gap_minutes=75), north: [joon.pk]})
    assert again.status_code == 302
    assert dict(tour.members.values_list("fellow_id", "team"))[joon.pk] == "North"
    assert tour.members.filter(team="C").get().fellow == mina


def test_a_tour_needs_a_fellow_in_some_team_and_one_team_per_fellow(staff_client, tour, fellow):
    url = reverse("board:tour-edit", args=[tour.pk])
    nobody = staff_client.post(url, tour_form(tour, team_a=[], team_b=[]))
    assert nobody.status_code == 400
    assert "Choose the fellows who go on this tour." in nobody.content.decode()
    twice = staff_client.post(url, tour_form(tour, team_c=[fellow.pk]))
    assert twice.status_code == 400
    assert "A fellow can be in only one team of a tour." in twice.content.decode()
    assert dict(tour.members.values_list("fellow_id", "team")) == {fellow.pk: "A"}


def test_edit_tour_names_the_booked_events_the_change_would_break(staff_client, tour, fellow):
    speaker_request = church()
    services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=speaker_request,
    )
    url = reverse("board:tour-edit", args=[tour.pk])
    late_start = staff_client.post(url, tour_form(tour, start_date="2027-03-05"))
    assert late_start.status_code == 400
    assert speaker_request.organization.name in late_start.content.decode()
    daniel = FellowFactory(display_name="Daniel")
    swapped = staff_client.post(url, tour_form(tour, team_a=[daniel.pk]))
    assert swapped.status_code == 400
    assert "Grace would no longer be on the tour." in swapped.content.decode()
    tour.refresh_from_db()
    assert tour.start_date == dt.date(2027, 3, 1)
    assert list(tour.members.values_list("fellow_id", flat=True)) == [fellow.pk]


@pytest.mark.parametrize(
    "changes",
    [
        {"start_zip": "00000"},
        {"end_zip": "abc"},
        {"end_date": "2027-02-01"},
        {"region_state_codes": "California"},
        {"max_events_per_day": "0"},
        {"work_day_end": "07:00"},
        {"team_a": []},
        {"team_a": ["999999"]},
        {"start_date": "2027-02-30"},
    ],
)
def test_bad_tour_edits_are_field_errors(staff_client, tour, fellow, changes):
    response = staff_client.post(
        reverse("board:tour-edit", args=[tour.pk]), tour_form(tour, **changes)
    )
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    tour.refresh_from_db()
    assert tour.end_date == dt.date(2027, 3, 28) and tour.max_events_per_day == 2


def test_a_fellow_on_two_tours_at_once_is_named_before_saving(staff_client, tour, fellow):
    data = tour_form(tour, name="Overlapping", team_a=[fellow.pk], start_zip="10001")
    create = reverse("board:tour-create")
    warned = staff_client.post(create, data)
    assert warned.status_code == 200
    assert f"Grace is also on “{tour.name}”" in warned.content.decode()
    assert not Tour.objects.filter(name="Overlapping").exists()

    saved = staff_client.post(create, {**data, "accept_overlap": "on"})
    assert saved.status_code == 302
    new = Tour.objects.get(name="Overlapping")
    page = staff_client.get(reverse("board:tour", args=[new.pk])).content.decode()
    assert f"Grace is also on “{tour.name}”" in page


def test_tour_status_moves_with_the_work(tour, fellow):
    def progress(today=dt.date(2027, 1, 1)):
        return selectors.with_progress(Tour.objects.filter(pk=tour.pk), today=today).get().progress

    assert progress() == "draft"
    PlanningRun.objects.create(tour=tour, seconds=1)
    assert progress() == "planning"
    event = services.book_event(
        tour=tour, fellows=[fellow], starts_at=local(DAY, 10), ends_at=local(DAY, 11)
    )
    assert progress() == "planning"
    services.confirm_event(event=event)
    assert progress() == "published"
    assert progress(today=dt.date(2027, 3, 29)) == "completed"
    assert selectors.tour_progress(tour=tour) == "published"


def test_a_rest_day_that_removes_a_preferred_window_is_named(staff_client, tour, fellow):
    tour.rest_weekdays = [6]
    tour.save()
    sunday_church = SpeakerRequestFactory(organization__name="Sunday Church")
    RequestWindowFactory(
        request=sunday_church,
        start_date=SUNDAY,
        end_date=SUNDAY,
        earliest_start=dt.time(9),
        latest_end=dt.time(12),
    )
    possible_only = SpeakerRequestFactory(organization__name="Flexible Church")
    RequestWindowFactory(
        request=possible_only, start_date=SUNDAY, end_date=SUNDAY, preference="possible"
    )
    weekend = SpeakerRequestFactory(organization__name="Weekend Church")
    RequestWindowFactory(request=weekend, start_date=SUNDAY - dt.timedelta(days=1), end_date=SUNDAY)

    tour_page = staff_client.get(reverse("board:tour", args=[tour.pk])).content.decode()
    edit_page = staff_client.get(reverse("board:tour-edit", args=[tour.pk])).content.decode()
    request_page = staff_client.get(
        reverse("board:request", args=[sunday_church.pk])
    ).content.decode()
    for page in (tour_page, edit_page, request_page):
        assert sunday_church.reference in page
        assert "Flexible Church" not in page and "Weekend Church" not in page
    assert "rests on Sunday" in request_page and tour.name in request_page
    # Saving rest days that cost a preferred window says so too.
    saved = staff_client.post(
        reverse("board:tour-edit", args=[tour.pk]), tour_form(tour), follow=True
    )
    assert f"{sunday_church.reference} (Sunday Church) loses its preferred window" in (
        saved.content.decode()
    )


# -- fellows ----------------------------------------------------------------------------------


def fellow_form(**changes) -> dict:
    values = {
        "display_name": "Joy",
        "legal_name": "Legal Joy",
        "email": "joy@private.example",
        "phone": "+1 213 555 0142",
        "languages": "Korean, English",
        "preferred_language": "ko",
        "bio": "Left North Korea in 2014.",
        "active": "on",
        "home": "90005",
    }
    values.update(changes)
    return values


def test_staff_add_a_fellow_with_the_home_base_located_by_zip(staff_client):
    response = staff_client.post(reverse("board:fellow-create"), fellow_form())
    assert response.status_code == 302
    joy = Fellow.objects.get(display_name="Joy")
    assert response["Location"] == reverse("board:fellow", args=[joy.pk])
    assert (joy.legal_name, joy.email, joy.preferred_language) == (
        "Legal Joy",
        "joy@private.example",
        "ko",
    )
    assert joy.home_base == "Los Angeles, CA"
    assert joy.home_latitude == pytest.approx(34.06, abs=0.05)


def test_staff_keep_a_fellow_unnamed_in_public_listings_from_the_board(staff_client):
    joy = FellowFactory(display_name="Joy")
    url = reverse("board:fellow", args=[joy.pk])
    form = staff_client.get(url).context["form"]
    assert list(form.fields)[:5] == ["display_name", "legal_name", "email", "phone", "home"]
    assert "unnamed_in_public_listings" in form.fields  # fellows.permissions lists it
    response = staff_client.post(url, fellow_form(unnamed_in_public_listings="on"))
    assert response.status_code == 302
    joy.refresh_from_db()
    assert joy.unnamed_in_public_listings is True


def test_a_home_address_with_its_zip_is_kept_as_typed(staff_client):
    joy = FellowFactory(display_name="Joy")
    response = staff_client.post(
        reverse("board:fellow", args=[joy.pk]),
        fellow_form(home="3300 Wilshire Blvd, Los Angeles, CA 90010"),
    )
    assert response.status_code == 302
    joy.refresh_from_db()
    assert joy.home_base == "3300 Wilshire Blvd, Los Angeles, CA 90010"
    assert joy.home_longitude == pytest.approx(-118.3, abs=0.05)


@pytest.mark.parametrize(
    ("changes", "field_text"),
    [
        ({"home": "Koreatown, Los Angeles"}, "Give a ZIP code"),
        ({"home": "00000"}, "We do not know the ZIP code 00000"),
        ({"display_name": ""}, "This field is required"),
        ({"display_name": "Taken"}, "already exists"),
        ({"email": "not-an-email"}, "Enter a valid email address"),
        ({"preferred_language": "fr"}, "Select a valid choice"),
        ({"legal_name": "Two\nlines"}, "errorlist"),
    ],
)
def test_bad_fellow_input_is_a_field_error(staff_client, changes, field_text):
    FellowFactory(display_name="Taken")
    response = staff_client.post(reverse("board:fellow-create"), fellow_form(**changes))
    assert response.status_code == 400
    assert field_text in response.content.decode()
    assert not Fellow.objects.filter(display_name="Joy").exists()


def test_staff_without_the_permission_edit_only_public_fields(plain_staff_client):
    joy = FellowFactory(
        display_name="Joy", legal_name="LEGALMARK", home_base="HOMEMARK", email="m@private.example"
    )
    UnavailabilityFactory(
        fellow=joy, starts_at=local(DAY, 0), ends_at=local(DAY, 23), reason="REASONMARK"
    )
    url = reverse("board:fellow", args=[joy.pk])
    page = plain_staff_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for marker in ("LEGALMARK", "HOMEMARK", "m@private.example", "REASONMARK", 'name="home"'):
        assert marker not in text, marker
    listing = plain_staff_client.get(reverse("board:fellows")).content.decode()
    assert "Joy" in listing and "HOMEMARK" not in listing

    response = plain_staff_client.post(
        url, fellow_form(display_name="Joy K", legal_name="Changed", home="10001")
    )
    assert response.status_code == 302
    joy.refresh_from_db()
    assert (joy.display_name, joy.languages) == ("Joy K", "Korean, English")
    assert (joy.legal_name, joy.home_base) == ("LEGALMARK", "HOMEMARK")


def test_the_service_refuses_private_fields_to_staff_without_the_permission(db):
    from django.core.exceptions import ValidationError

    from fellows.services import save_fellow

    joy = FellowFactory(display_name="Joy", legal_name="Old")
    staff = UserFactory(is_staff=True, password=None)
    with pytest.raises(ValidationError) as refused:
        save_fellow(fellow=joy, changes={"legal_name": "New"}, by=staff)
    assert "legal_name" in refused.value.message_dict
    with pytest.raises(ValidationError):
        save_fellow(fellow=joy, changes={}, home="10001", by=staff)
    staff.user_permissions.add(Permission.objects.get(codename="view_private_details"))
    staff = type(staff).objects.get(pk=staff.pk)  # permissions are cached per object
    assert save_fellow(fellow=joy, changes={"legal_name": "New"}, by=staff).legal_name == "New"


def test_unavailability_is_added_with_its_conflicts_named_and_removed(staff_client, tour, fellow):
    services.book_event(
        tour=tour, fellows=[fellow], starts_at=local(DAY, 10), ends_at=local(DAY, 11)
    )
    url = reverse("board:fellow-unavailability", args=[fellow.pk])
    data = {
        "starts_at": f"{DAY}T08:00",
        "ends_at": f"{DAY}T18:00",
        "timezone": "America/New_York",
        "reason": "Hospital visit",
    }
    response = staff_client.post(url, data, follow=True)
    assert response.status_code == 200
    away = Unavailability.objects.get(fellow=fellow)
    assert (away.starts_at, away.ends_at, away.reason) == (
        local(DAY, 8),
        local(DAY, 18),
        "Hospital visit",
    )
    assert "Grace is booked at “Event”" in response.content.decode()

    remove = reverse("board:fellow-unavailability-remove", args=[fellow.pk, away.pk])
    assert staff_client.post(remove).status_code == 302
    assert not Unavailability.objects.filter(fellow=fellow).exists()
    other = FellowFactory()
    stranger = UnavailabilityFactory(fellow=other, starts_at=local(DAY, 0), ends_at=local(DAY, 1))
    wrong_fellow = reverse("board:fellow-unavailability-remove", args=[fellow.pk, stranger.pk])
    assert staff_client.post(wrong_fellow).status_code == 404
    assert Unavailability.objects.filter(pk=stranger.pk).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"ends_at": f"{DAY}T07:00"},
        {"starts_at": "yesterday"},
        {"timezone": "Mars/Olympus"},
        {"starts_at": "2027-03-14T02:30"},  # clocks spring forward: no such time in New York
    ],
)
def test_bad_unavailability_is_a_field_error(staff_client, fellow, changes):
    data = {
        "starts_at": f"{DAY}T08:00",
        "ends_at": f"{DAY}T18:00",
        "timezone": "America/New_York",
        **changes,
    }
    response = staff_client.post(reverse("board:fellow-unavailability", args=[fellow.pk]), data)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not Unavailability.objects.filter(fellow=fellow).exists()


def test_staff_without_the_permission_add_unavailability_without_a_reason(
    plain_staff_client, fellow
):
    data = {
        "starts_at": f"{DAY}T08:00",
        "ends_at": f"{DAY}T18:00",
        "timezone": "America/New_York",
        "reason": "Should not be stored",
    }
    url = reverse("board:fellow-unavailability", args=[fellow.pk])
    assert plain_staff_client.post(url, data).status_code == 302
    assert Unavailability.objects.get(fellow=fellow).reason == ""


def test_new_pages_are_staff_only(db, client, tour, fellow):
    speaker_request = church()
    pages = [
        reverse("board:request", args=[speaker_request.pk]),
        reverse("board:tour-edit", args=[tour.pk]),
        reverse("board:fellows"),
        reverse("board:fellow-create"),
        reverse("board:fellow", args=[fellow.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 302, url
    client.force_login(UserFactory(is_staff=False, password=None))
    for url in pages:
        assert client.get(url).status_code == 403, url
    assert (
        client.post(
            reverse("board:request-decline", args=[speaker_request.pk]), {"reason": "x"}
        ).status_code
        == 403
    )
    speaker_request.refresh_from_db()
    assert speaker_request.status == "submitted"
    assert TourMember.objects.filter(tour=tour).count() == 1


def test_the_api_and_the_admin_show_the_derived_status(staff_api, staff_user, tour, fellow):
    event = services.book_event(
        tour=tour, fellows=[fellow], starts_at=local(DAY, 10), ends_at=local(DAY, 11)
    )
    draft = TourFactory(name="Quiet tour")
    services.confirm_event(event=event)
    answer = staff_api.get("/api/v1/tours/", {"status": "published"})
    assert answer.status_code == 200
    assert [row["name"] for row in answer.json()["results"]] == [tour.name]
    assert staff_api.get(f"/api/v1/tours/{draft.pk}/").json()["status"] == "draft"
    # Sending a status changes nothing: it is read from the work.
    patched = staff_api.patch(f"/api/v1/tours/{draft.pk}/", {"status": "completed"}, format="json")
    assert patched.status_code == 200 and patched.json()["status"] == "draft"
    assert staff_api.get("/api/v1/tours/", {"status": "nonsense"}).status_code == 400
    client = Client()
    client.force_login(staff_user)
    listing = client.get(reverse("admin:fellows_tour_changelist"))
    assert listing.status_code == 200
    assert "Published" in listing.content.decode() and "Draft" in listing.content.decode()


def test_a_korean_speaking_fellow_reads_the_host_details_in_korean(client, tour, fellow):
    fellow.preferred_language = "ko"
    fellow.save()
    services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=church(),
    )
    token = rotate_feed_token(fellow=fellow)
    page = client.get(reverse("fellows:token-day-sheets", args=[token]) + "?all=1")
    assert page.status_code == 200
    text = page.content.decode()
    assert "주최 측 연락처" in text and "통역이 필요합니다" in text and "Pastor Kim" in text


def test_the_emailed_day_sheet_carries_the_host_details_too(tour, fellow):
    from notifications import services as notification_services

    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 10),
        ends_at=local(DAY, 11),
        request=church(),
    )
    sheet = notification_services.queue_fellow_day_sheet(fellow=fellow, day=DAY, events=[event])
    for text in (
        "Escape through China",
        "An interpreter is needed",
        "Pastor Kim",
        "+1 212 555 0199",
    ):
        assert text in sheet.body_text and text in sheet.body_html, text


def test_a_declined_request_is_not_booked(staff_client, tour, fellow):
    speaker_request = church()
    staff_client.post(
        reverse("board:request-decline", args=[speaker_request.pk]), {"reason": "Full"}
    )
    page = staff_client.get(reverse("board:request", args=[speaker_request.pk]))
    assert "move it back to in review to book it" in page.content.decode()
    refused = staff_client.post(
        reverse("board:request-book", args=[speaker_request.pk]), booking(tour)
    )
    assert refused.status_code == 409
    assert not speaker_request.events.exists()
