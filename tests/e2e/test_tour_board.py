"""The staff tour board in a real browser, with a real Celery worker and a loopback SMTP server.

Staff log in, create a tour, ask for a proposal (the progress bar polls while the worker plans),
accept it, confirm two events and find their invites in the outbox, try to move one onto the
other and see the conflict, then cancel one. Screenshots of the tour page land in var/e2e/.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from playwright.sync_api import expect

from events.models import Event, PlanningRun
from notifications.models import Notification
from tests.e2e.conftest import shoot
from tests.factories import FellowFactory, RequestWindowFactory, SpeakerRequestFactory, StaffFactory
from tests.notifications.support import CeleryWorker, SmtpSink, database_url, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

START = dt.date(2027, 3, 1)  # a Monday
# (city, ZIP, lat, lon, audience): close enough that one team reaches several in a week.
HOSTS = [
    ("New York", "10001", 40.7484, -73.9967, 300),
    ("Newark", "07102", 40.7357, -74.1724, 120),
    ("Philadelphia", "19103", 39.9526, -75.1652, 250),
    ("Princeton", "08540", 40.3573, -74.6672, 80),
    ("Baltimore", "21218", 39.3299, -76.6205, 150),
]


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def worker(live_server, smtp):
    """A real worker on the live server's test database: it plans and it sends mail."""
    from scheduler.celery import app

    app.control.purge()  # tasks left by earlier runs point at rows that no longer exist
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "EMAIL_TIMEOUT": "5",
    }
    with CeleryWorker(env=env, name="board") as process:
        yield process


@pytest.fixture
def season(db):
    StaffFactory(username="coordinator")
    fellows = [FellowFactory(display_name="Grace"), FellowFactory(display_name="Daniel")]
    for index, (city, zip_code, lat, lon, audience) in enumerate(HOSTS):
        speaker_request = SpeakerRequestFactory(
            city=city,
            zip_code=zip_code,
            latitude=lat,
            longitude=lon,
            expected_audience=audience,
            organization__name=f"{city} Host",
        )
        day = START + dt.timedelta(days=index % 4)
        RequestWindowFactory(
            request=speaker_request,
            start_date=day,
            end_date=day + dt.timedelta(days=2),
            earliest_start=dt.time(9),
            latest_end=dt.time(20),
        )
    return fellows


def wait_for(condition, timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"Timed out waiting for {what}")
        time.sleep(0.2)


def test_staff_plan_confirm_move_and_cancel_on_the_board(live_server, worker, smtp, season, page):
    page.set_viewport_size({"width": 1440, "height": 900})  # a laptop screen
    page.goto(f"{live_server.url}/staff/")
    page.wait_for_url("**/staff/login/**")
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/staff/")

    # Create the tour on the board.
    page.get_by_role("link", name="Create a tour").click()
    page.get_by_label("Name").fill("Spring East 2027")
    page.get_by_label("Start date").fill(START.isoformat())
    page.get_by_label("End date").fill((START + dt.timedelta(days=6)).isoformat())
    page.get_by_label("Start ZIP code").fill("10001")
    page.get_by_role("group", name="Team A").get_by_label("Grace").check()
    page.get_by_role("group", name="Team A").get_by_label("Daniel").check()
    page.get_by_role("button", name="Create the tour").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring East 2027")

    # Propose: the request returns at once and the page polls the worker's run until the
    # proposal is ready (a tour this small converges in about a second; the progress fragment
    # while a search runs is tests/events/test_board.py::test_progress_fragment_and_partial_accept).
    page.get_by_label("Planning time (seconds)").fill("4")
    page.get_by_role("button", name="Propose an itinerary").click()
    expect(page.locator("#progress")).to_be_visible()
    shoot(page, "tour-board-planning")
    page.get_by_role("link", name="Review the proposal").click(timeout=60_000)
    run = PlanningRun.objects.get()
    assert run.status == PlanningRun.Status.DONE, run.error

    # Accept the whole proposal: tentative events appear on the timeline and the map.
    page.get_by_role("button", name="Accept the whole proposal").click()
    expect(page.locator(".messages")).to_contain_text("tentative events booked")
    events = list(Event.objects.order_by("starts_at"))
    assert len(events) >= 2
    first, second = events[0], events[1]
    expect(page.locator(".timeline .entry.event")).to_have_count(len(events))
    expect(page.locator(".route-map polyline")).to_have_count(1)

    # Confirm two events: their invites go through the outbox to the host's inbox.
    page.locator(f"#pick-{first.pk}").check()
    page.locator(f"#pick-{second.pk}").check()
    page.get_by_role("button", name="Confirm the ticked events and send invites").click()
    expect(page.locator(".messages")).to_contain_text("2 events confirmed")
    expect(page.locator(f"#event-{first.pk} .badge.confirmed")).to_be_visible()
    shoot(page, "tour-board-confirmed")
    # Every booked host was asked about the proposed time; the two confirmed get invites.
    confirmations = Notification.objects.filter(kind=Notification.Kind.CONFIRMATION)
    wait_until(
        lambda: confirmations.filter(status=Notification.Status.SENT).count() == 2,
        30,
        "both invites to be sent",
    )
    invite_ids = set(confirmations.values_list("message_id", flat=True))
    invited = {m["To"] for m in smtp.messages if m["Message-ID"] in invite_ids}
    assert invited == {first.request.contact_email, second.request.contact_email}
    page.get_by_role("link", name="Outbox").click()
    invites = page.locator('#outbox tr[data-kind="confirmation"]')
    expect(invites).to_have_count(2)
    expect(invites.locator(".badge.sent")).to_have_count(2)
    expect(page.locator("#outbox")).to_contain_text(first.request.contact_email)

    # Move the second event onto the first one's time: the conflict shows before saving.
    page.goto(f"{live_server.url}/staff/tours/{first.tour_id}/")
    page.locator(f"#event-{second.pk} a").click()
    panel = page.locator("#event-panel")
    expect(panel.get_by_role("heading", name=second.title)).to_be_visible()
    zone = first.starts_at.astimezone(ZoneInfo(second.timezone))
    panel.get_by_label("Date").fill(zone.date().isoformat())
    panel.get_by_label("Starts (venue time)").fill(zone.strftime("%H:%M"))
    panel.get_by_label("Ends (venue time)").fill((zone + dt.timedelta(hours=1)).strftime("%H:%M"))
    panel.get_by_role("button", name="Save the new time").click()
    findings = panel.locator("#findings")
    expect(findings).to_contain_text("Not saved")
    expect(findings.locator('[data-code="overlap"]').first).to_be_visible()
    shoot(page, "tour-board-conflict")
    second.refresh_from_db()
    assert second.starts_at == events[1].starts_at  # nothing moved

    # The event's history names who confirmed it.
    expect(panel.locator("#history")).to_contain_text("coordinator")

    # Cancel the second event: the host, who had the invite, gets the cancellation.
    panel.get_by_label(re.compile("Yes, cancel this event")).check()
    panel.get_by_role("button", name="Cancel the event").click()
    expect(page.locator(".messages")).to_contain_text("cancelled")
    expect(page.locator(f"#event-{second.pk}.cancelled")).to_be_visible()
    second.refresh_from_db()
    assert second.status == Event.Status.CANCELLED
    cancellation = Notification.objects.get(kind=Notification.Kind.CANCELLATION)
    assert cancellation.recipient_email == second.request.contact_email
    shoot(page, "tour-board")
