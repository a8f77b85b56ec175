"""Impact figures per event, tour and season; the staff pages with their SVG charts; the CSV
exports (BOM, formula-safe, consented contacts only) and the season command."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from impact import selectors, services
from impact.models import SurveyResponse
from tests.impact.conftest import held_event

pytestmark = pytest.mark.django_db


def answer(event, *answers: tuple[str, str], comment: str = "") -> None:
    for first_time, perspective in answers:
        SurveyResponse.objects.create(
            event=event, first_time=first_time, perspective_changed=perspective, comment=comment
        )


@pytest.fixture
def season(now_tour, today):
    """Two held events (a church in NY with 40 people, a university in NJ with 60), one future
    event, one cancelled; answers at the held ones."""
    church = held_event(now_tour, day=today - dt.timedelta(days=3), kind="church")
    church.request.attendance_count = 40
    church.request.save()
    university = held_event(
        now_tour, day=today - dt.timedelta(days=2), kind="university", state="NJ"
    )
    university.attendance = 60
    university.state = "NJ"
    university.save()
    answer(church, ("yes", "yes"), ("yes", "somewhat"), ("no", "no"), ("", "yes"))
    answer(university, ("yes", ""), comment='=HYPERLINK("http://evil")')
    future = held_event(now_tour, day=today + dt.timedelta(days=3))
    cancelled = held_event(now_tour, day=today - dt.timedelta(days=1), status="cancelled")
    services.record_survey_answer(
        event=church,
        first_time="yes",
        email="fan@example.org",
        consent=True,
        now=church.starts_at,
    )
    return church, university, future, cancelled


def test_season_figures_count_held_events_answers_and_shares(season, today):
    church, university, *_ = season
    figures = selectors.season_figures(
        date_from=today - dt.timedelta(days=30), date_to=today + dt.timedelta(days=30)
    )
    assert figures.events_held == 2
    assert figures.attendance_reported == 100
    assert figures.responses == 6
    assert (figures.response_rate.count, figures.response_rate.answers) == (6, 100)
    # 4 said yes of 5 who answered the question; perspective: yes, somewhat, yes of 4 answers.
    assert (figures.first_time.count, figures.first_time.answers) == (4, 5)
    assert (figures.perspective_changed.count, figures.perspective_changed.answers) == (3, 4)
    assert figures.perspective_counts == {"yes": 2, "somewhat": 1, "no": 1}
    assert figures.contacts == 1
    assert [(g.label, g.attendance, g.responses) for g in figures.by_kind] == [
        ("University", 60, 1),
        ("Church", 40, 5),
    ]
    assert [(g.label, g.events) for g in figures.by_state] == [("NJ", 1), ("NY", 1)]


def test_event_and_tour_figures(season, now_tour):
    church = season[0]
    one = selectors.event_figures(event=church)
    assert (one.events_held, one.responses, one.attendance_reported) == (1, 5, 40)
    assert selectors.tour_figures(tour=now_tour).events_held == 2


def test_staff_pages_draw_svg_charts_and_show_comments(season, staff_client, now_tour):
    church = season[0]
    pages = [
        reverse("impact:season"),
        reverse("impact:tour", args=[now_tour.pk]),
        reverse("impact:event", args=[church.pk]),
    ]
    for path in pages:
        page = staff_client.get(path)
        assert page.status_code == 200, path
        html = page.content.decode()
        assert "<svg" in html and 'role="img"' in html
        assert '<script src="http' not in html
    season_html = staff_client.get(reverse("impact:season")).content.decode()
    assert "HYPERLINK" in season_html  # free text is for staff
    assert "4 of 5 answers" in season_html
    event_html = staff_client.get(reverse("impact:event", args=[church.pk])).content.decode()
    assert services.survey_url(event=church) in event_html


def test_the_season_page_shows_the_twelve_months_up_to_today(staff_client, today):
    """In January, last autumn's tours still show: not the calendar year."""
    page = staff_client.get(reverse("impact:season"))
    assert page.status_code == 200
    assert page.context["date_to"] == today
    a_year_ago = page.context["date_from"] - dt.timedelta(days=1)
    assert (a_year_ago.year, a_year_ago.month) == (today.year - 1, today.month)
    assert a_year_ago.day == today.day or (today.month, today.day) == (2, 29)
    chosen = staff_client.get(reverse("impact:season"), {"from": "2026-09-01", "to": "2026-12-31"})
    assert (chosen.context["date_from"], chosen.context["date_to"]) == (
        dt.date(2026, 9, 1),
        dt.date(2026, 12, 31),
    )


def test_bad_dates_are_a_400_not_a_500(staff_client):
    for query in ({"from": "soon"}, {"from": "2027-03-02", "to": "2027-03-01"}):
        assert staff_client.get(reverse("impact:season"), query).status_code == 400
        assert staff_client.get(reverse("impact:figures-csv"), query).status_code == 400
    assert staff_client.get(reverse("impact:contacts-csv"), {"tour": "x"}).status_code == 400


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_contacts_csv_holds_consented_addresses_only(season, staff_client):
    response = staff_client.get(reverse("impact:contacts-csv"), {"tour": season[0].tour_id})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert rows[0][:2] == ["email", "language"]
    assert [row[0] for row in rows[1:]] == ["fan@example.org"]
    assert "unsubscribe" in rows[1][3]


def test_figures_csv_and_formula_safety(season, staff_client, today):
    response = staff_client.get(reverse("impact:figures-csv"), {"event": season[0].pk})
    rows = read_csv(response)
    assert rows[0] == ["section", "figure", "value", "answers"]
    assert ["total", "first time meeting a North Korean %", "75.0", "4"] in rows
    # A contact's address typed as a formula reaches the file defused.
    from impact.models import SupporterContact

    SupporterContact.objects.update(email="=cmd@example.org")
    contacts = read_csv(staff_client.get(reverse("impact:contacts-csv"), {"event": season[0].pk}))
    assert contacts[1][0] == "'=cmd@example.org"


def test_the_command_prints_a_seasons_figures(season, today):
    out = io.StringIO()
    start, end = today - dt.timedelta(days=30), today + dt.timedelta(days=30)
    call_command("impact_figures", "--from", f"{start}", "--to", f"{end}", stdout=out)
    text = out.getvalue()
    assert "events held: 2" in text
    assert "first time meeting a North Korean %: 80.0  (of 5 answers)" in text
    assert "perspective changed (yes or somewhat) %: 75.0  (of 4 answers)" in text
    with pytest.raises(CommandError):
        call_command("impact_figures", "--from", "soon", "--to", f"{end}")


def test_the_pages_are_for_staff_only(season):
    for path in (reverse("impact:season"), reverse("impact:contacts-csv")):
        response = Client().get(path)
        assert response.status_code == 302 and "login" in response["Location"]


def test_a_talk_under_way_counts_its_answers_like_its_comments_and_contacts(now_tour, today):
    event = held_event(now_tour, day=today - dt.timedelta(days=1))
    # The talk began an hour ago and is still going: the survey is open.
    event.starts_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    event.ends_at = event.starts_at + dt.timedelta(hours=3)
    event.save()
    answer(event, ("yes", "yes"), ("no", "somewhat"), comment="Thank you")
    services.record_survey_answer(
        event=event, first_time="yes", email="fan@example.org", consent=True
    )

    figures = selectors.event_figures(event=event)

    assert (figures.events_held, figures.responses, figures.contacts) == (1, 3, 1)
    assert (figures.first_time.count, figures.first_time.answers) == (2, 3)
    assert selectors.comments(events=type(event).objects.filter(pk=event.pk)).count() == 2
