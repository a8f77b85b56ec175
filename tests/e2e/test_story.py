"""The whole story in Chromium, over PostgreSQL, Redis, a real Celery worker and an SMTP sink.

A host asks for a speaker on the form; staff plan and accept on the board; the host gets
"Proposed", opens their link and accepts; staff confirm and the invite is parsed; the host edits
their phone; staff move the event and the update shows old and new time; the fellow's feed has
a new ETag and the new time on the next poll; staff cancel, METHOD:CANCEL arrives and the feed
shows the event cancelled.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from events.models import Event, PlanningRun, SpeakerRequest
from fellows.services import rotate_feed_token
from tests.e2e.conftest import shoot
from tests.e2e.test_request_form import fill_host_details, fill_window
from tests.e2e.test_tour_board import smtp, wait_for, worker  # noqa: F401  (fixtures)
from tests.factories import FellowFactory, StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

START = dt.date(2027, 3, 1)  # a Monday
CHICAGO = ZoneInfo("America/Chicago")
HOST = "dana@example.org"


def mail_to(smtp, subject_start: str, count: int = 1):  # noqa: F811
    """The `count`-th message to the host whose subject starts with `subject_start`."""
    found = []

    def arrived() -> bool:
        found[:] = [
            m
            for m in smtp.messages
            if m["To"] == HOST and str(m["Subject"]).startswith(subject_start)
        ]
        return len(found) >= count

    wait_for(arrived, 60, f"{subject_start!r} mail")
    return found[count - 1]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def calendar_of(message) -> icalendar.Calendar:
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    return icalendar.Calendar.from_ical(part.get_content())


def link_in(message, live_server) -> str:
    url = re.search(r"https?://\S+/r/[\w-]+/", text_of(message)).group(0)
    return live_server.url + "/r/" + url.split("/r/", 1)[1]


def poll(client, url: str, etag: str | None = None):
    headers = {"If-None-Match": etag} if etag else {}
    return client.get(url, headers=headers)


def test_the_whole_story(live_server, worker, smtp, page, browser):  # noqa: F811
    cache.clear()
    StaffFactory(username="coordinator")
    fellow = FellowFactory(display_name="Grace")
    feed_url = f"{live_server.url}/feeds/fellow/{rotate_feed_token(fellow=fellow)}.ics"
    http = browser.new_context().request

    # 1. The host asks for a speaker on the public form.
    page.goto(f"{live_server.url}/request/")
    fill_host_details(page)
    fill_window(page, 0, START)
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/request/received/")
    host_link = link_in(mail_to(smtp, "We received"), live_server)

    # 2. Staff plan the tour and accept the proposal on the board.
    staff = browser.new_context().new_page()
    staff.set_viewport_size({"width": 1440, "height": 900})
    staff.goto(f"{live_server.url}/staff/")
    staff.get_by_label("Username").fill("coordinator")
    staff.get_by_label("Password").fill("correct-horse-battery")
    staff.get_by_role("button", name="Sign in").click()
    staff.get_by_role("link", name="Create a tour").click()
    staff.get_by_label("Name").fill("Spring Midwest 2027")
    staff.get_by_label("Start date").fill(START.isoformat())
    staff.get_by_label("End date").fill((START + dt.timedelta(days=6)).isoformat())
    staff.get_by_label("Start ZIP code").fill("60601")
    staff.get_by_role("group", name="Team A").get_by_label("Grace").check()
    staff.get_by_role("button", name="Create the tour").click()
    staff.get_by_label("Planning time (seconds)").fill("3")
    staff.get_by_role("button", name="Propose an itinerary").click()
    staff.get_by_role("link", name="Review the proposal").click(timeout=60_000)
    assert PlanningRun.objects.get().status == PlanningRun.Status.DONE
    staff.get_by_role("button", name="Accept the whole proposal").click()
    expect(staff.locator(".messages")).to_contain_text("1 tentative event booked")
    event = Event.objects.get()
    expect(staff.locator(f"#event-{event.pk}")).to_contain_text("host: no answer")

    # 3. The host gets "Proposed", opens the link and accepts.
    proposal = mail_to(smtp, "Proposed:")
    assert link_in(proposal, live_server) == host_link
    page.goto(host_link)
    page.get_by_role("button", name="Yes, this time works").click()
    expect(page.get_by_text("Thank you! We will confirm the visit by email.")).to_be_visible()
    shoot(page, "story-host-accepted")

    # 4. Staff see the yes and confirm; the invite is an iMIP REQUEST.
    staff.reload()
    expect(staff.locator(f"#event-{event.pk}")).to_contain_text("host: yes")
    staff.locator(f"#pick-{event.pk}").check()
    staff.get_by_role("button", name="Confirm the ticked events and send invites").click()
    expect(staff.locator(".messages")).to_contain_text("1 event confirmed")
    invite = calendar_of(mail_to(smtp, "Confirmed:"))
    assert invite["METHOD"] == "REQUEST"
    [vevent] = invite.walk("VEVENT")
    assert vevent["UID"] == Event.objects.get().ical_uid
    first_feed = poll(http, feed_url)
    assert first_feed.status == 200

    # 5. The host corrects their phone on the link.
    page.goto(host_link)
    page.get_by_label("Phone").fill("+1 312 555 0177")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Your changes are saved.")).to_be_visible()
    assert SpeakerRequest.objects.get().contact_phone == "+1 312 555 0177"

    # 6. Staff move the event two hours later; the update says old → new.
    event.refresh_from_db()
    old = event.starts_at.astimezone(CHICAGO)
    new = old + dt.timedelta(hours=2)
    staff.goto(f"{live_server.url}/staff/tours/{event.tour_id}/")
    staff.locator(f"#event-{event.pk} a").click()
    panel = staff.locator("#event-panel")
    panel.get_by_label("Starts (venue time)").fill(new.strftime("%H:%M"))
    panel.get_by_label("Ends (venue time)").fill((new + dt.timedelta(hours=1)).strftime("%H:%M"))
    panel.get_by_label("Reason to override warnings").fill("The host asked for later.")
    panel.get_by_role("button", name="Save the new time").click()
    expect(staff.locator(".messages")).to_contain_text("moved")
    update = text_of(mail_to(smtp, "Updated:"))
    assert f"{old:%-I:%M %p}" in update and f"{new:%-I:%M %p}" in update
    assert "Time:" in update and "→" in update

    # 7. The fellow's feed: a new ETag and the new time on the next poll.
    moved_feed = poll(http, feed_url, first_feed.headers["etag"])
    assert moved_feed.status == 200
    assert moved_feed.headers["etag"] != first_feed.headers["etag"]
    assert f"DTSTART;TZID=America/Chicago:{new:%Y%m%dT%H%M%S}" in moved_feed.text()

    # 8. Staff cancel; METHOD:CANCEL reaches the host and the feed shows it cancelled.
    panel = staff.locator("#event-panel")
    staff.locator(f"#event-{event.pk} a").click()
    panel.get_by_label(re.compile("Yes, cancel this event")).check()
    panel.get_by_label("Reason for the host (optional)").fill("Our speaker is unwell.")
    panel.get_by_role("button", name="Cancel the event").click()
    expect(staff.locator(".messages")).to_contain_text("cancelled")
    cancellation = mail_to(smtp, "Cancelled:")
    assert calendar_of(cancellation)["METHOD"] == "CANCEL"
    assert "Our speaker is unwell." in text_of(cancellation)
    cancelled_feed = poll(http, feed_url, moved_feed.headers["etag"])
    assert cancelled_feed.status == 200
    assert "STATUS:CANCELLED" in cancelled_feed.text()
    shoot(staff, "story-board-cancelled")
