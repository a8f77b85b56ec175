"""Fellows' privacy, tested as an attacker would: every private field of two team-mates holds a
unique marker, and every kind of output is searched for them.

Private: legal name, email, phone, home base (and its coordinates), unavailability reasons.
Outputs: host pages and host emails with their invites, every public page and error page, the
attendee survey and its slide, the public events page with its iCalendar feed and JSON, the
impact pages and CSVs, the OpenAPI schema, API answers for anonymous, host, fellow and
staff-without-permission callers, the other fellow's feed, day sheets and messages, the tour
and staff feeds, and the board.
Staff allowed to see private details (fellows.view_private_details) do see them: that is checked
too, so the greps are known to look at the right content.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from events import proposals, services
from events.models import PlanningRun
from fellows.models import ItineraryItem
from fellows.services import rotate_feed_token, rotate_staff_feed_token, rotate_tour_feed_token
from notifications import delivery
from notifications import services as notification_services
from notifications.models import Notification
from tests.conftest import local
from tests.events.conftest import as_json, request_data, window
from tests.factories import (
    FellowFactory,
    TourFactory,
    TourMemberFactory,
    UnavailabilityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2027, 3, 2)


def markers_of(fellow) -> dict[str, str]:
    return {
        "legal name": fellow.legal_name,
        "email": fellow.email,
        "phone": fellow.phone,
        "home base": fellow.home_base,
        "home latitude": f"{fellow.home_latitude}",
        "unavailability reason": fellow.unavailabilities.get().reason,
    }


def private_fellow(tag: str, latitude: float, longitude: float, username: str):
    fellow = FellowFactory(
        display_name=f"Public {tag}",
        legal_name=f"LEGALMARK{tag}",
        email=f"emailmark{tag.lower()}@private.example",
        phone=f"+1 555 01{ord(tag):02d} 77",
        home_base=f"HOMEMARK{tag} Street",
        home_latitude=latitude,
        home_longitude=longitude,
        user=UserFactory(username=username, password=None),
    )
    UnavailabilityFactory(
        fellow=fellow,
        starts_at=local(DAY + dt.timedelta(days=4), 0),
        ends_at=local(DAY + dt.timedelta(days=4), 23),
        reason=f"REASONMARK{tag}",
    )
    return fellow


def leaks(text: str, fellows) -> list[str]:
    return [
        f"{fellow.display_name}'s {what}"
        for fellow in fellows
        for what, marker in markers_of(fellow).items()
        if marker and marker in text
    ]


@pytest.fixture
def world(db) -> SimpleNamespace:
    cache.clear()
    # No start name: the planner must label the start neutrally, not by a home base.
    tour = TourFactory(start_location="", start_latitude=40.71, start_longitude=-74.01)
    first = private_fellow("A", 40.123457, -74.654321, "fellow-a")
    second = private_fellow("B", 40.223457, -74.554321, "fellow-b")
    for fellow in (first, second):
        TourMemberFactory(tour=tour, fellow=fellow, team="A")
    host_answer = APIClient().post(
        "/api/v1/requests/",
        as_json(
            request_data(
                zip_code="10001",
                state="NY",
                city="New York",
                street="1 Main St",
                windows=[window(0, start_date=DAY, end_date=DAY + dt.timedelta(days=3))],
            )
        ),
        format="json",
    )
    assert host_answer.status_code == 201, host_answer.content
    host_url = host_answer.json()["host_url"]
    run = proposals.run_proposal(PlanningRun.objects.create(tour=tour, seconds=1, seed=1).pk)
    proposals.accept_proposal(run=run, request_ids=None)
    event = tour.events.get()
    services.confirm_event(event=event)
    notification_services.queue_host_reminder(event=event)
    notification_services.queue_attendance_request(event=event)
    for fellow in (first, second):
        notification_services.queue_fellow_day_sheet(fellow=fellow, day=DAY, events=[event])
    mail.outbox.clear()
    # Messages about one event go out in order, each after the one before: a few passes.
    for _pass in range(5):
        for pk in Notification.objects.filter(status="pending").values_list("pk", flat=True):
            delivery.deliver(pk)
    staff = UserFactory(username="coordinator", is_staff=True, password=None)
    return SimpleNamespace(
        tour=tour,
        fellows=(first, second),
        event=event,
        host_answer=host_answer.content.decode(),
        host_path="/r/" + host_url.rstrip("/").rsplit("/", 1)[1] + "/",
        staff=staff,
        fellow_tokens={f.pk: rotate_feed_token(fellow=f) for f in (first, second)},
        tour_token=rotate_tour_feed_token(tour=tour),
        staff_token=rotate_staff_feed_token(user=staff),
    )


def test_the_start_is_never_a_fellows_home_base(world):
    legs = ItineraryItem.objects.filter(tour=world.tour, kind=ItineraryItem.Kind.TRAVEL)
    assert legs.exists()
    labels = " ".join(f"{leg.title} {leg.from_location} {leg.to_location}" for leg in legs)
    assert "Tour start" in labels
    assert leaks(labels, world.fellows) == []


def test_hosts_see_nothing_private(world):
    client = Client()
    outputs = {"API answer": world.host_answer}
    page = client.get(world.host_path)
    assert page.status_code == 200 and "Public A" in page.content.decode()
    outputs["host page"] = page.content.decode()
    host_messages = [m for m in mail.outbox if m.to == ["dana@example.org"]]
    assert len(host_messages) >= 3  # acknowledgement, confirmation, reminder, attendance
    for message in host_messages:
        body = message.message().as_string()
        outputs[f"email {message.subject}"] = body
    assert any(m.attachments for m in host_messages)  # the invite is among them
    problems = {name: leaks(text, world.fellows) for name, text in outputs.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_public_pages_errors_and_the_schema_show_nothing_private(world):
    client = Client()
    outputs = {}
    for path in ["/", "/request/", "/api/schema/", "/api/docs/", "/no-such-page/", "/r/x/"]:
        outputs[path] = client.get(path).content.decode()
    broken = request_data(zip_code="６０６０１", contact_name="Dana\r\nOn-site contact: Mallory")
    refused = APIClient().post("/api/v1/requests/", as_json(broken), format="json")
    assert refused.status_code == 400
    outputs["refused submission"] = refused.content.decode()
    for path in ["/api/v1/fellows/", f"/api/v1/fellows/{world.fellows[0].pk}/", "/api/v1/"]:
        outputs[f"anonymous {path}"] = APIClient().get(path).content.decode()
    problems = {name: leaks(text, world.fellows) for name, text in outputs.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_a_fellow_sees_nothing_private_of_a_team_mate(world):
    first, second = world.fellows
    for viewer, other in ((first, second), (second, first)):
        token = world.fellow_tokens[viewer.pk]
        client = Client()
        outputs = {
            "feed": client.get(reverse("fellows:fellow-feed", args=[token])),
            "day sheets": client.get(reverse("fellows:token-day-sheets", args=[token])),
        }
        client.force_login(viewer.user)
        outputs["my page"] = client.get(reverse("fellows:me"))
        outputs["my day sheets"] = client.get(reverse("fellows:my-day-sheets"))
        api_token = Token.objects.create(user=viewer.user).key
        for path in ["/api/v1/fellows/", f"/api/v1/fellows/{other.pk}/", "/api/v1/tours/"]:
            outputs[f"API {path}"] = APIClient().get(path, HTTP_AUTHORIZATION=f"Token {api_token}")
        texts = {name: response.content.decode() for name, response in outputs.items()}
        assert "Tour start" in texts["feed"]  # the shared legs are there, with a neutral start
        assert viewer.display_name in texts["my page"]
        for message in mail.outbox:
            if message.to == [viewer.email]:
                texts[f"email {message.subject}"] = message.message().as_string()
        problems = {name: leaks(text, [other]) for name, text in texts.items()}
        assert {name: found for name, found in problems.items() if found} == {}


def test_tour_and_staff_feeds_show_nothing_private(world):
    client = Client()
    outputs = {
        "tour feed": client.get(reverse("fellows:tour-feed", args=[world.tour_token])),
        "staff feed": client.get(reverse("fellows:staff-feed", args=[world.staff_token])),
    }
    texts = {name: response.content.decode() for name, response in outputs.items()}
    assert all("Public A" in text for text in texts.values())
    problems = {name: leaks(text, world.fellows) for name, text in texts.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def staff_outputs(world, client: Client) -> dict[str, str]:
    first = world.fellows[0]
    paths = [
        "/api/v1/fellows/",
        f"/api/v1/fellows/{first.pk}/",
        "/api/v1/tours/",
        "/api/v1/events/",
        "/api/v1/notifications/",
        "/api/v1/proposals/",
        reverse("board:home"),
        reverse("board:tour", args=[world.tour.pk]),
        reverse("board:event", args=[world.event.pk]),
        reverse("board:outbox"),
        reverse("board:requests"),
        reverse("board:request", args=[world.event.request_id]),
        reverse("board:tour-edit", args=[world.tour.pk]),
        reverse("board:fellows"),
        reverse("board:fellow", args=[first.pk]),
        reverse("admin:fellows_fellow_changelist"),
        reverse("admin:fellows_fellow_change", args=[first.pk]),
        reverse("admin:fellows_unavailability_changelist"),
        reverse("admin:fellows_unavailability_change", args=[first.unavailabilities.get().pk]),
        reverse("admin:notifications_notification_changelist"),
        reverse(
            "admin:notifications_notification_change",
            args=[Notification.objects.filter(fellow=first).get().pk],
        ),
    ]
    outputs = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        outputs[path] = response.content.decode()
    return outputs


def test_staff_without_the_permission_see_display_names_only(world):
    # Enough model permissions to open the admin pages, not the private details.
    world.staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_fellow", "view_unavailability", "view_notification"]
        )
    )
    client = Client()
    client.force_login(world.staff)
    outputs = staff_outputs(world, client)
    assert "Public A" in outputs["/api/v1/fellows/"]
    problems = {name: leaks(text, world.fellows) for name, text in outputs.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_staff_without_the_permission_cannot_filter_on_private_fields(world):
    world.staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_fellow", "view_unavailability", "view_notification"]
        )
    )
    client = Client()
    client.force_login(world.staff)
    first = world.fellows[0]
    probes = [
        f"{reverse('admin:fellows_fellow_changelist')}?legal_name__startswith={first.legal_name[:3]}",
        f"{reverse('admin:fellows_fellow_changelist')}?home_latitude__gt=0",
        f"{reverse('admin:fellows_unavailability_changelist')}?reason__startswith=a",
        f"{reverse('admin:notifications_notification_changelist')}?recipient_email__startswith=a",
    ]

    # The count of matching rows would spell each field out letter by letter.
    assert [client.get(url).status_code for url in probes] == [400, 400, 400, 400]
    allowed = client.get(f"{reverse('admin:fellows_fellow_changelist')}?active__exact=1")
    assert allowed.status_code == 200


def test_staff_with_the_permission_see_the_private_details(world):
    world.staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "view_fellow",
                "view_unavailability",
                "view_notification",
                "view_private_details",
            ]
        )
    )
    client = Client()
    client.force_login(world.staff)
    outputs = staff_outputs(world, client)
    first = world.fellows[0]
    assert first.legal_name in outputs["/api/v1/fellows/"]
    assert first.home_base in outputs[reverse("admin:fellows_fellow_changelist")]
    reason = first.unavailabilities.get().reason
    unavailability = reverse(
        "admin:fellows_unavailability_change", args=[first.unavailabilities.get().pk]
    )
    assert reason in outputs[unavailability]
    assert first.email in outputs[reverse("board:outbox")]
    board_fellow = outputs[reverse("board:fellow", args=[first.pk])]
    assert first.legal_name in board_fellow and first.home_base in board_fellow
    assert reason in board_fellow
    assert first.home_base in outputs[reverse("board:fellows")]


def test_a_tour_cannot_lose_its_start_location(staff_api):
    tour = TourFactory()
    response = staff_api.patch(f"/api/v1/tours/{tour.pk}/", {"start_latitude": None}, format="json")
    assert response.status_code == 400
    assert "start location" in response.json()["non_field_errors"][0]
    tour.refresh_from_db()
    assert tour.start_latitude is not None
    tour.start_latitude = None
    with pytest.raises(ValidationError):
        tour.full_clean()
    # A tour saved without one before this rule cannot be planned from a fellow's home.
    TourMemberFactory(tour=tour, fellow=private_fellow("C", 41.0, -75.0, "fellow-c"))
    tour.save()
    with pytest.raises(ValueError, match="start location"):
        proposals.build_problem(tour)


def test_every_fellow_field_is_staff_visible_private_or_bookkeeping():
    """A new Fellow field must be placed: the API, the admin and the export follow the lists."""
    from events.fellow_privacy import ERASED_TEXT_FIELDS, PROFILE_FIELDS
    from fellows.models import Fellow
    from fellows.permissions import PRIVATE_FELLOW_FIELDS, STAFF_FELLOW_FIELDS
    from fellows.serializers import FellowSerializer

    bookkeeping = {
        "id",
        "user",
        "feed_token_hash",
        "feed_token_created_at",
        "feed_last_used_at",
        "created_at",
        "updated_at",
    }
    fields = {f.name for f in Fellow._meta.concrete_fields}
    placed = set(STAFF_FELLOW_FIELDS) | set(PRIVATE_FELLOW_FIELDS) | bookkeeping
    assert fields - placed == set()
    assert set(STAFF_FELLOW_FIELDS) & set(PRIVATE_FELLOW_FIELDS) == set()
    assert set(FellowSerializer.Meta.fields) == {"id", *STAFF_FELLOW_FIELDS, *PRIVATE_FELLOW_FIELDS}
    assert fields - bookkeeping <= set(PROFILE_FIELDS)
    text_fields = {
        f.name for f in Fellow._meta.concrete_fields if f.get_internal_type() == "CharField"
    }
    assert set(PRIVATE_FELLOW_FIELDS) & text_fields <= set(ERASED_TEXT_FIELDS)


@override_settings(PUBLIC_EVENT_DETAILS_DAYS=100_000)
def test_the_survey_public_events_and_impact_outputs_show_nothing_private(world):
    """Every output of the impact app: the survey with its slide, the public page and feeds
    (with the exact time and address shown), and the staff pages and CSVs."""
    from impact import services as impact_services

    world.event.refresh_from_db()
    world.event.request.list_publicly = True
    world.event.request.save()
    impact_services.publish_event(event=world.event)
    impact_services.record_survey_answer(
        event=world.event,
        first_time="yes",
        comment="Thank you",
        email="fan@example.org",
        consent=True,
        now=world.event.starts_at,
    )
    token = impact_services.survey_token(event=world.event)
    client = Client()
    outputs = {}
    for name in ("impact:survey", "impact:survey-thanks", "impact:survey-slide"):
        for lang in ("en", "ko"):
            response = client.get(reverse(name, args=[token]), {"lang": lang})
            assert response.status_code == 200, name
            outputs[f"{name} {lang}"] = response.content.decode()
    for name in ("impact:public-events", "impact:public-events-ics", "impact:public-events-json"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        outputs[name] = response.content.decode()
    assert "Public A" in outputs["impact:public-events"]
    assert "1 Main St" in outputs["impact:public-events-json"]  # the address is shown
    world.staff.user_permissions.set(
        Permission.objects.filter(codename__in=["view_fellow", "view_notification"])
    )
    staff = Client()
    staff.force_login(world.staff)
    for path, query in (
        (reverse("impact:season"), {"from": "2027-01-01", "to": "2027-12-31"}),
        (reverse("impact:tour", args=[world.tour.pk]), {}),
        (reverse("impact:event", args=[world.event.pk]), {}),
        (reverse("impact:contacts-csv"), {"tour": world.tour.pk}),
        (reverse("impact:figures-csv"), {"tour": world.tour.pk}),
        ("/api/v1/public-listings/", {}),
    ):
        response = staff.get(path, query)
        assert response.status_code == 200, path
        outputs[f"staff {path}"] = response.content.decode()
    assert "fan@example.org" in outputs[f"staff {reverse('impact:contacts-csv')}"]
    problems = {name: leaks(text, world.fellows) for name, text in outputs.items()}
    assert {name: found for name, found in problems.items() if found} == {}
