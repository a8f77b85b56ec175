"""A talk end to end in Chromium: the fellow's day sheet at phone width carries the survey's QR
code, attendees answer on phones with JavaScript off in English and in Korean, staff read the
impact page, and an attendee reads the public events page. Screenshots land in var/e2e/."""

from __future__ import annotations

import datetime as dt

import pytest
import segno
from django.urls import reverse
from django.utils import timezone

from fellows.services import rotate_feed_token
from impact import services
from impact.models import SurveyResponse
from impact.qr import QUIET_ZONE_MODULES
from tests.e2e.conftest import shoot
from tests.factories import FellowFactory, StaffFactory, TourFactory, TourMemberFactory
from tests.impact.conftest import held_event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1366, "height": 900}


def fits(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def talk(db, live_server, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SITE_URL = live_server.url
    today = timezone.localdate()
    tour = TourFactory(
        start_date=today - dt.timedelta(days=10), end_date=today + dt.timedelta(days=20)
    )
    fellow = TourMemberFactory(tour=tour, fellow=FellowFactory(display_name="Grace")).fellow
    # Yesterday evening: the talk is over and its survey is open.
    held = held_event(
        tour, day=today - dt.timedelta(days=1), hour=18, org="Harvard Korea Society",
        kind="university", state="MA",
    )  # fmt: skip
    held.request.attendance_count = 80
    held.request.save()
    upcoming = held_event(
        tour, day=today + dt.timedelta(days=6), hour=19, org="Grace Church Boston",
        list_publicly=True, topics="Escaping North Korea",
    )  # fmt: skip
    services.publish_event(event=upcoming)
    StaffFactory(username="coordinator")
    return {"fellow": fellow, "held": held, "upcoming": upcoming}


def answer(browser, url: str, *, language: str, choices: tuple[str, str], line: str) -> None:
    """One attendee's phone, JavaScript off."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(url)
    if language == "ko":
        page.get_by_role("link", name="한국어").click()
        assert page.locator("html").get_attribute("lang") == "ko"
    assert fits(page, PHONE["width"])
    first, change = choices
    page.locator(f"input[name=first_time][value={first}]").check()
    page.locator(f"input[name=perspective_changed][value={change}]").check()
    page.locator("input[name=comment]").fill(line)
    shoot(page, f"impact-survey-{language}-375")
    page.locator("button[type=submit]").click()
    page.wait_for_url("**/thanks/**")
    thanks = page.locator("#survey-thanks").inner_text()
    assert ("답변이 접수되었습니다" if language == "ko" else "Your answers have been received") in (
        thanks
    )
    shoot(page, f"impact-survey-{language}-thanks-375")
    context.close()


def test_a_talk_from_the_day_sheet_to_the_impact_page(live_server, browser, talk):
    # The fellow opens the day sheet on a phone: the QR code is there and fits the screen.
    token = rotate_feed_token(fellow=talk["fellow"])
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + reverse("fellows:token-day-sheets", args=[token]) + "?all=1")
    block = page.locator(".survey-qr").first
    assert block.is_visible()
    url = block.locator("a").first.get_attribute("href")
    assert url.startswith(f"{live_server.url}/s/")
    box = block.locator("svg").bounding_box()
    assert box["width"] >= 100 and box["x"] + box["width"] <= PHONE["width"]
    assert fits(page, PHONE["width"])
    # What a phone's camera reads from that code is exactly this URL: segno draws the same code.
    drawn = block.locator("svg path.qrline").get_attribute("d")
    assert drawn in segno.make(url, error="m", micro=False).svg_inline(
        scale=3, border=QUIET_ZONE_MODULES
    )
    block.scroll_into_view_if_needed()
    shoot(page, "impact-day-sheet-qr-375")
    page.get_by_role("link", name="Slide and handout to print").first.click()
    assert url in page.locator("body").inner_text()
    shoot(page, "impact-slide-375")
    context.close()

    answer(browser, url, language="en", choices=("yes", "somewhat"), line="Unforgettable")
    answer(browser, url, language="ko", choices=("no", "yes"), line="감사합니다")
    assert SurveyResponse.objects.filter(event=talk["held"]).count() == 2
    assert set(SurveyResponse.objects.values_list("language", flat=True)) == {"en", "ko"}

    # Staff read the event's impact page on a laptop and on a phone.
    staff = browser.new_context(viewport=DESKTOP)
    page = staff.new_page()
    page.goto(live_server.url + reverse("impact:event", args=[talk["held"].pk]))
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{reverse('impact:event', args=[talk['held'].pk])}")
    text = page.locator("main").inner_text()
    assert "1 of 2 answers" in text  # first time: one yes of two
    assert "2 of 2 answers" in text  # perspective changed: somewhat + yes
    assert "Unforgettable" in text and "감사합니다" in text
    assert page.locator("svg[role=img]").count() >= 4
    shoot(page, "impact-event-1366")
    page.goto(live_server.url + reverse("impact:season"))
    assert "Harvard Korea Society" not in page.locator("#figures").inner_text()
    shoot(page, "impact-season-1366")
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + reverse("impact:event", args=[talk["held"].pk]))
    shoot(page, "impact-event-375")
    staff.close()

    # An attendee finds the next public event, on a phone and on a laptop.
    for name, viewport in (("375", PHONE), ("1366", DESKTOP)):
        visitor = browser.new_context(viewport=viewport, java_script_enabled=False)
        page = visitor.new_page()
        page.goto(live_server.url + reverse("impact:public-events"))
        listing = page.locator("main").inner_text()
        assert "Grace Church Boston" in listing and "Escaping North Korea" in listing
        assert "Harvard Korea Society" not in listing
        assert fits(page, viewport["width"])
        shoot(page, f"impact-public-events-{name}")
        visitor.close()
