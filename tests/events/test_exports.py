"""CSV exports: Excel-safe text (BOM, ZIP codes, no formulas), scopes, board and API doors,
and never a fellow's private fields."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse

from events import exports, services
from events.models import SpeakerRequest
from tests.conftest import local
from tests.factories import (
    FellowFactory,
    OrganizationFactory,
    RequestWindowFactory,
    SpeakerRequestFactory,
    TourFactory,
    TourMemberFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2027, 3, 2)  # a Tuesday inside the factories' tour


def parse(body: bytes) -> list[dict[str, str]]:
    assert body.startswith("\ufeff".encode())  # the BOM Excel needs for UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def season():
    tour = TourFactory(name="봄 투어 Spring 2027")
    fellow = FellowFactory(display_name="은혜 Grace", legal_name="Kim Secret-Legal")
    TourMemberFactory(tour=tour, fellow=fellow)
    speaker_request = SpeakerRequestFactory(
        organization=OrganizationFactory(name='=HYPERLINK("http://evil","x")'),
        contact_name="김 Host",
        contact_phone="+1 617 555 0100",
        city="Boston",
        state="MA",
        zip_code="02467",
        notes="@SUM(1+1) parking behind",
        timezone="America/New_York",
    )
    RequestWindowFactory(request=speaker_request)
    event = services.book_event(
        tour=tour,
        fellows=[fellow],
        starts_at=local(DAY, 19),
        ends_at=local(DAY, 20),
        request=speaker_request,
        zip_code="02467",
    )
    SpeakerRequest.objects.filter(pk=speaker_request.pk).update(
        attendance_count=80, first_time_count=60
    )
    services.confirm_event(event=event)
    return tour, fellow, speaker_request, event


def test_safe_cell_defuses_formulas_and_keeps_numbers():
    assert exports.safe_cell("=1+1") == "'=1+1"
    assert exports.safe_cell("+1 555") == "'+1 555"
    assert exports.safe_cell("-2") == "'-2"
    assert exports.safe_cell("@cmd") == "'@cmd"
    assert exports.safe_cell("\tx") == "'\tx"
    assert exports.safe_cell("Grace Church") == "Grace Church"
    assert exports.safe_cell(-3) == -3
    assert exports.safe_cell(None) == ""
    assert exports.zip_cell("02467") == '="02467"'
    assert exports.zip_cell("=cmd") == "'=cmd"


def test_requests_export_keeps_korean_zip_zeros_and_defuses_host_formulas(season):
    tour, _fellow, speaker_request, _event = season
    _name, text = exports.export_csv(kind="requests", scope=exports.ExportScope.for_tour(tour))
    rows = parse(text.encode("utf-8"))
    assert len(rows) == 1
    row = rows[0]
    assert row["reference"] == speaker_request.reference
    assert row["contact_name"] == "김 Host"
    assert row["zip_code"] == '="02467"'
    assert row["organization"] == '\'=HYPERLINK("http://evil","x")'
    assert row["notes"].startswith("'@SUM")
    assert row["contact_phone"] == "'+1 617 555 0100"
    assert row["attendance_reported"] == "80"
    assert row["windows"] == "2027-03-01..2027-03-07 09:00-21:00 preferred"


def test_events_export_names_fellows_by_display_name_only(season):
    tour, fellow, _request, _event = season
    _name, text = exports.export_csv(kind="events", scope=exports.ExportScope.for_tour(tour))
    assert "Kim Secret-Legal" not in text
    assert fellow.email not in text
    row = parse(text.encode("utf-8"))[0]
    assert row["fellows"] == "은혜 Grace"
    assert row["tour"] == "봄 투어 Spring 2027"
    assert (row["date"], row["start"], row["end"]) == ("2027-03-02", "19:00", "20:00")
    assert row["timezone"] == "America/New_York"
    assert row["status"] == "Confirmed"


def test_season_export_counts_events_by_the_venues_local_day(season):
    tour, *_ = season
    # 19:00 in Boston on 2 March is already 3 March in UTC: the local day decides.
    scope = exports.make_scope(
        tour_id=None, date_from=dt.date(2027, 3, 2), date_to=dt.date(2027, 3, 2)
    )
    assert len(parse(exports.export_csv(kind="events", scope=scope)[1].encode())) == 1
    scope = exports.make_scope(
        tour_id=None, date_from=dt.date(2027, 3, 3), date_to=dt.date(2027, 3, 31)
    )
    assert parse(exports.export_csv(kind="events", scope=scope)[1].encode()) == []


def test_impact_export_has_a_row_per_tour_and_a_total(season):
    tour, *_ = season
    TourFactory(name="Autumn", start_date=dt.date(2027, 9, 6), end_date=dt.date(2027, 9, 20))
    scope = exports.make_scope(
        tour_id=None, date_from=dt.date(2027, 1, 1), date_to=dt.date(2027, 12, 31)
    )
    rows = parse(exports.export_csv(kind="impact", scope=scope)[1].encode())
    assert [r["tour"] for r in rows] == [tour.name, "Autumn", "All tours"]
    # The event is on 2 March 2027: held only once it has ended, which it has not today.
    assert rows[0]["start_date"] == "2027-03-01"
    assert rows[-1]["start_date"] == ""


@pytest.mark.parametrize(
    ("tour_id", "date_from", "date_to", "field"),
    [
        (None, None, None, "__all__"),
        (None, dt.date(2027, 1, 1), None, "__all__"),
        (None, dt.date(2027, 2, 1), dt.date(2027, 1, 1), "date_to"),
        (None, dt.date(2027, 1, 1), dt.date(2031, 1, 1), "date_to"),
        (999999, None, None, "tour"),
        (1, dt.date(2027, 1, 1), dt.date(2027, 2, 1), "__all__"),
    ],
)
def test_bad_scopes_are_refused_with_a_reason(tour_id, date_from, date_to, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        exports.make_scope(tour_id=tour_id, date_from=date_from, date_to=date_to)
    errors = caught.value.message_dict if hasattr(caught.value, "error_dict") else {}
    assert field in errors or (field == "__all__" and not errors)


def test_board_download_and_its_refusal(season, staff_user):
    tour, *_ = season
    client = Client()
    client.force_login(staff_user)
    answer = client.get(reverse("board:export", args=["events"]), {"tour": tour.pk})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"] == f'attachment; filename="events-tour-{tour.pk}.csv"'
    assert len(parse(answer.content)) == 1
    refused = client.get(reverse("board:export", args=["events"]), {"date_from": "2027-01-01"})
    assert refused.status_code == 400
    assert "both the first and the last day" in refused.content.decode()
    assert (
        client.get(reverse("board:export", args=["fellows"]), {"tour": tour.pk}).status_code == 404
    )
    impact = client.get(reverse("board:impact"), {"season": 2027})
    assert f"{reverse('board:export', args=['requests'])}?tour={tour.pk}" in impact.content.decode()


def test_api_exports_are_staff_only_files(season, staff_user):
    tour, *_ = season
    staff = Client()
    staff.force_login(staff_user)
    answer = staff.get("/api/v1/exports/requests/", {"tour": tour.pk})
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert len(parse(answer.content)) == 1
    refused = staff.get("/api/v1/exports/impact/", {"date_from": "2027-02-01", "date_to": "x"})
    assert refused.status_code == 400
    assert "date_to" in refused.json()
    fellow = Client()
    fellow.force_login(UserFactory(is_staff=False))
    assert fellow.get("/api/v1/exports/events/", {"tour": tour.pk}).status_code == 403
    assert Client().get("/api/v1/exports/events/", {"tour": tour.pk}).status_code == 401
