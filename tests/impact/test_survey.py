"""The attendee survey: its token, its open window, answers in English and Korean, consent,
rate limits, and what a closed or cancelled event's link shows."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import segno
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from events import services as event_services
from impact import selectors, services
from impact.models import SupporterContact, SurveyLink, SurveyResponse
from impact.qr import qr_svg
from tests.impact.conftest import held_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_event(now_tour, today):
    """An event that started an hour ago in New York time (or yesterday near midnight)."""
    event = held_event(now_tour, day=today - dt.timedelta(days=1), hour=18)
    return event


def path_of(event) -> str:
    return reverse("impact:survey", args=[services.survey_token(event=event)])


def test_the_token_is_short_random_and_stored_only_as_a_hash(open_event):
    token = services.survey_token(event=open_event)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    link = SurveyLink.objects.get(event=open_event)
    assert token not in (link.salt, link.token_hash)
    assert services.survey_token(event=open_event) == token  # the same link every time
    assert selectors.event_for_survey_token(token) == open_event


def test_a_rotated_link_is_gone_at_once(open_event):
    old = services.survey_token(event=open_event)
    new = services.rotate_survey_link(event=open_event)
    assert new != old
    assert Client().get(reverse("impact:survey", args=[old])).status_code == 404
    assert Client().get(reverse("impact:survey", args=[new])).status_code == 200


def test_an_unknown_token_is_a_plain_404():
    assert Client().get(reverse("impact:survey", args=["x" * 22])).status_code == 404


def test_answers_in_english_are_stored_without_any_trace_of_the_client(open_event):
    client = Client(REMOTE_ADDR="203.0.113.9")
    page = client.get(path_of(open_event))
    assert page.status_code == 200
    html = page.content.decode()
    assert "first time you have met a North Korean" in html
    assert "<script" not in html
    answer = client.post(
        path_of(open_event),
        {
            "lang": "en",
            "first_time": "yes",
            "perspective_changed": "somewhat",
            "comment": "Moving story",
        },
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith(path_of(open_event) + "thanks/")
    stored = SurveyResponse.objects.get()
    assert (stored.first_time, stored.perspective_changed, stored.comment, stored.language) == (
        "yes",
        "somewhat",
        "Moving story",
        "en",
    )
    fields = {f.name for f in SurveyResponse._meta.get_fields()}
    assert not fields & {"ip", "address", "user_agent", "session", "email"}
    assert SupporterContact.objects.count() == 0
    assert client.get(answer["Location"]).status_code == 200


def test_answers_in_korean(open_event):
    client = Client()
    page = client.get(path_of(open_event), {"lang": "ko"})
    assert page.status_code == 200
    assert 'lang="ko"' in page.content.decode()
    assert "북한 사람을 만난 것이 이번이 처음인가요?" in page.content.decode()
    empty = client.post(path_of(open_event), {"lang": "ko"})
    assert empty.status_code == 400 and "질문에 하나 이상 답해 주세요" in empty.content.decode()
    answer = client.post(
        path_of(open_event), {"lang": "ko", "first_time": "no", "perspective_changed": "yes"}
    )
    assert answer.status_code == 302
    assert SurveyResponse.objects.get().language == "ko"


def test_keep_me_informed_needs_the_consent_box_and_is_kept_apart(open_event):
    client = Client()
    refused = client.post(
        path_of(open_event), {"lang": "en", "first_time": "yes", "email": "sam@example.org"}
    )
    assert refused.status_code == 400
    assert "Tick the box" in refused.content.decode()
    assert SurveyResponse.objects.count() == 0
    agreed = client.post(
        path_of(open_event),
        {"lang": "en", "first_time": "yes", "email": "sam@example.org", "consent": "on"},
    )
    assert agreed.status_code == 302
    contact = SupporterContact.objects.get()
    assert contact.email == "sam@example.org"
    assert "unsubscribe" in contact.consent_text
    # No column joins the address to the answers, nor does a shared moment: the contact keeps
    # the day it consented, not the microsecond its answer was stored.
    assert not {f.name for f in SurveyResponse._meta.get_fields()} & {"contact", "email"}
    assert type(contact.consented_on) is dt.date
    assert not [
        f for f in SupporterContact._meta.get_fields() if f.get_internal_type() == "DateTimeField"
    ]


def test_a_form_sent_twice_is_one_answer_and_each_page_load_a_new_form(open_event):
    """A double tap on "Send" (or a resent POST) on a slow phone must not count twice."""
    client = Client()
    page = client.get(path_of(open_event)).content.decode()
    key = re.search(r'name="submission_key" value="([^"]+)"', page).group(1)
    assert len(key) == 43
    again = client.get(path_of(open_event)).content.decode()
    assert key not in again
    answer = {
        "lang": "en",
        "first_time": "yes",
        "email": "friend@example.org",
        "consent": "on",
        "submission_key": key,
    }
    first = client.post(path_of(open_event), answer)
    second = client.post(path_of(open_event), answer)
    assert (first.status_code, second.status_code) == (302, 302)
    assert second["Location"] == first["Location"]
    assert SurveyResponse.objects.count() == 1
    assert SupporterContact.objects.count() == 1
    # Another attendee's form (another key) is another answer.
    client.post(path_of(open_event), {**answer, "submission_key": "k" * 43, "email": ""})
    assert SurveyResponse.objects.count() == 2


def test_a_second_answer_with_the_same_key_returns_the_first(open_event):
    first = services.record_survey_answer(event=open_event, first_time="no", submission_key="x1")
    second = services.record_survey_answer(event=open_event, first_time="yes", submission_key="x1")
    assert second.pk == first.pk
    assert SurveyResponse.objects.get().first_time == "no"


def test_an_empty_or_bad_answer_is_a_400_with_the_reason(open_event):
    client = Client()
    empty = client.post(path_of(open_event), {"lang": "en"})
    assert empty.status_code == 400
    assert "at least one question" in empty.content.decode()
    bad = client.post(path_of(open_event), {"lang": "en", "first_time": "maybe"})
    assert bad.status_code == 400
    line = client.post(path_of(open_event), {"lang": "en", "comment": "a\r\nb"})
    assert line.status_code == 400
    assert SurveyResponse.objects.count() == 0


def test_the_survey_opens_at_the_start_and_closes_seven_days_after_the_end(now_tour, today):
    event = held_event(now_tour, day=today + dt.timedelta(days=3), hour=10)
    starts, ends = event.starts_at, event.ends_at
    assert selectors.survey_state(event=event, now=starts - dt.timedelta(seconds=1)) == "not_yet"
    assert selectors.survey_state(event=event, now=starts) == "open"
    assert selectors.survey_state(event=event, now=ends + dt.timedelta(days=7, seconds=-1)) == (
        "open"
    )
    assert selectors.survey_state(event=event, now=ends + dt.timedelta(days=7)) == "closed"
    page = Client().get(path_of(event))
    assert page.status_code == 200 and "opens when the talk begins" in page.content.decode()
    late = Client().post(path_of(event), {"lang": "en", "first_time": "yes"})
    assert late.status_code == 410
    with pytest.raises(ValidationError):
        services.record_survey_answer(event=event, first_time="yes")
    assert SurveyResponse.objects.count() == 0


def test_a_long_past_event_is_closed(now_tour, today):
    event = held_event(now_tour, day=today - dt.timedelta(days=9))
    page = Client().get(path_of(event))
    assert page.status_code == 200 and "This survey is closed" in page.content.decode()
    assert Client().post(path_of(event), {"first_time": "yes"}).status_code == 410


def test_a_cancelled_events_survey_is_closed(open_event):
    path = path_of(open_event)
    event_services.cancel_event(event=open_event)
    page = Client().get(path)
    assert page.status_code == 200 and "This survey is closed" in page.content.decode()
    assert Client().post(path, {"first_time": "yes"}).status_code == 410
    assert SurveyResponse.objects.count() == 0


@override_settings(SURVEY_RATE_LIMIT="3/h", SURVEY_EVENT_RATE_LIMIT="1000/h")
def test_answers_are_rate_limited_per_address_and_event(open_event, now_tour, today):
    other = held_event(now_tour, day=today - dt.timedelta(days=1), hour=11)
    room = Client(REMOTE_ADDR="198.51.100.7")
    codes = [room.post(path_of(open_event), {"first_time": "yes"}).status_code for _ in range(4)]
    assert codes == [302, 302, 302, 429]
    # Another event from the same address, and another address, have their own budgets.
    assert room.post(path_of(other), {"first_time": "yes"}).status_code == 302
    elsewhere = Client(REMOTE_ADDR="198.51.100.8")
    assert elsewhere.post(path_of(open_event), {"first_time": "yes"}).status_code == 302
    assert SurveyResponse.objects.filter(event=open_event).count() == 4


@override_settings(SURVEY_RATE_LIMIT="100/h", SURVEY_EVENT_RATE_LIMIT="2/h")
def test_every_address_together_has_a_budget_per_event(open_event):
    codes = [
        Client(REMOTE_ADDR=f"192.0.2.{n}").post(path_of(open_event), {"first_time": "no"})
        for n in range(3)
    ]
    assert [c.status_code for c in codes] == [302, 302, 429]
    assert codes[2]["Retry-After"].isdigit()


def test_the_slide_shows_the_qr_code_and_the_link_in_both_languages(open_event):
    token = services.survey_token(event=open_event)
    page = Client().get(reverse("impact:survey-slide", args=[token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and f"/s/{token}/" in html and "설문" in html
    assert "Grace" not in html and "<script" not in html


def test_the_day_sheet_carries_the_qr_code_for_confirmed_events_only(now_tour, today):
    from fellows.services import rotate_feed_token

    fellow = now_tour.members.first().fellow
    confirmed = held_event(now_tour, day=today + dt.timedelta(days=2), hour=10)
    tentative = held_event(now_tour, day=today + dt.timedelta(days=3), hour=10, status="")
    token = rotate_feed_token(fellow=fellow)
    page = Client().get(reverse("fellows:token-day-sheets", args=[token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert services.survey_url(event=confirmed) in html
    assert html.count('class="survey-qr"') == 1
    assert not SurveyLink.objects.filter(event=tentative).exists()


def test_the_hosts_reminder_links_the_survey_and_its_slide(open_event):
    from notifications import services as notification_services

    row = notification_services.queue_host_reminder(event=open_event)
    url = services.survey_url(event=open_event)
    assert url in row.body_text and f"{url}slide/" in row.body_html


def test_the_qr_code_keeps_the_four_module_quiet_zone_scanners_need():
    url = "https://tours.example.org/s/ZQl7TJ54gSLuXZ3ySGML1n/"
    modules = segno.make(url, error="m", micro=False).symbol_size(scale=1, border=0)[0]
    svg = qr_svg(url, scale=4)
    side = (modules + 2 * 4) * 4
    assert f'viewBox="0 0 {side} {side}"' in svg
    assert 'stroke="#000" d="M4 4.5h7' in svg  # the finder pattern starts 4 modules in
