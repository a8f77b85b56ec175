"""CSV import (command and admin upload): good rows are saved, bad rows save nothing of
themselves and stop nothing else, and importing the same file again adds no duplicates."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from events import csv_import
from events.models import Organization, RequestWindow, SpeakerRequest
from notifications.models import Notification
from tests.events.conftest import window

pytestmark = pytest.mark.django_db

START = window(0)["start_date"]
LATER = window(14)["start_date"]
PAST = window(-120)["start_date"]


def row(external_id: str, **changes: str) -> dict[str, str]:
    values = {
        "external_id": external_id,
        "organization_name": f"Org {external_id}",
        "organization_kind": "university",
        "contact_name": "Pat Host",
        "contact_email": f"{external_id.lower()}@example.org",
        "contact_phone": "",
        "format": "in_person",
        "street": "1 Main St",
        "city": "Philadelphia",
        "state": "PA",
        "zip_code": "19104",
        "expected_audience": "120",
        "audience_type": "students",
        "interpretation_needed": "yes",
        "timezone": "",
        "windows": f"{START}..{window(4)['start_date']} 09:00-17:00; {LATER} 18:00-20:00 possible",
    }
    values.update(changes)
    return values


def csv_text(*rows: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


MIXED = csv_text(
    row("A-1"),
    row("A-2", zip_code="10001"),  # a New York ZIP in Pennsylvania
    row("A-3", windows=f"{PAST} 09:00-17:00"),
    row("A-4", expected_audience="many"),
    row("A-5", windows="sometime in spring"),
    row(""),
    row("A-6", format="virtual", timezone="America/Denver", street="", zip_code=""),
)


def test_good_rows_are_imported_and_bad_rows_reported_row_by_row():
    report = csv_import.import_requests(io.StringIO(MIXED))
    outcomes = {r.line: (r.external_id, r.outcome) for r in report.rows}
    assert outcomes == {
        2: ("A-1", "created"),
        3: ("A-2", "error"),
        4: ("A-3", "error"),
        5: ("A-4", "error"),
        6: ("A-5", "error"),
        7: ("", "error"),
        8: ("A-6", "created"),
    }
    messages = {r.external_id: " ".join(r.messages) for r in report.rows}
    assert "zip_code" in messages["A-2"]
    assert "window 1, start_date" in messages["A-3"]
    assert "expected_audience" in messages["A-4"]
    assert "windows" in messages["A-5"]

    first = SpeakerRequest.objects.get(external_id="A-1")
    assert first.source == SpeakerRequest.Source.IMPORT
    assert first.interpretation_needed is True
    assert [w.preference for w in first.windows.all()] == ["preferred", "possible"]
    assert first.timezone == "America/New_York"
    assert set(SpeakerRequest.objects.values_list("external_id", flat=True)) == {"A-1", "A-6"}
    # The bad rows left nothing behind: no organization, window or email of their own.
    assert Organization.objects.count() == 2
    assert RequestWindow.objects.count() == 4
    assert Notification.objects.filter(kind="acknowledgement").count() == 2


def test_importing_the_same_file_again_creates_no_duplicates():
    csv_import.import_requests(io.StringIO(MIXED))
    again = csv_import.import_requests(io.StringIO(MIXED))
    assert again.count("created") == 0
    assert again.count("skipped") == 2
    assert SpeakerRequest.objects.count() == 2
    assert Notification.objects.count() == 2
    skipped = next(r for r in again.rows if r.external_id == "A-1")
    assert skipped.reference == SpeakerRequest.objects.get(external_id="A-1").reference


def test_a_repeated_row_within_one_file_is_imported_once():
    report = csv_import.import_requests(io.StringIO(csv_text(row("B-1"), row("B-1"))))
    assert [r.outcome for r in report.rows] == ["created", "skipped"]
    assert SpeakerRequest.objects.count() == 1


def test_a_file_without_the_needed_columns_imports_nothing():
    report = csv_import.import_requests(io.StringIO("name,email\nx,y@example.org\n"))
    assert report.rows == []
    assert "external_id" in report.problems[0]


def test_the_command_reports_each_row_and_fails_when_a_row_failed(tmp_path, capsys):
    path = tmp_path / "requests.csv"
    path.write_text(MIXED, encoding="utf-8")
    with pytest.raises(CommandError, match="2 created"):
        call_command("import_requests", str(path), "--no-acknowledgement")
    out = capsys.readouterr().out
    assert "line 2 [A-1] created REQ-" in out
    assert "line 3 [A-2] error: zip_code" in out
    assert Notification.objects.count() == 0  # --no-acknowledgement

    good = tmp_path / "good.csv"
    good.write_text(csv_text(row("C-1")), encoding="utf-8")
    call_command("import_requests", str(good))
    assert SpeakerRequest.objects.filter(external_id="C-1").exists()


def test_staff_upload_a_csv_from_the_admin(admin_client):
    changelist = admin_client.get("/admin/events/speakerrequest/").content.decode()
    assert "/admin/events/speakerrequest/import-csv/" in changelist
    upload = SimpleUploadedFile(
        "requests.csv", ("\ufeff" + MIXED).encode("utf-8"), content_type="text/csv"
    )
    response = admin_client.post(
        "/admin/events/speakerrequest/import-csv/", {"file": upload, "acknowledge": "on"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 created, 0 already imported, 5 with errors." in html
    assert "does not exist in PA" in html
    assert SpeakerRequest.objects.count() == 2


def test_the_admin_import_page_lists_every_column(admin_client):
    from events.request_fields import csv_help

    response = admin_client.get("/admin/events/speakerrequest/import-csv/")
    html = response.content.decode()
    assert response.status_code == 200
    for column, _takes in csv_help():
        assert column in html
    assert "FIRST_DATE[..LAST_DATE]" in html
