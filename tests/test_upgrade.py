"""A database of the previous release upgrades with `manage.py migrate` and keeps every request,
event, token and queued message (the migrations of this release only add or derive).

The previous release's leaf migrations are below; when a release lands, move them forward.
Django's migration executor takes the database back to them, the rows are written with the
historical models of that state, then every migration since runs, as `migrate` would.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

PREVIOUS_RELEASE = [  # the release of 2026-11-29 (9ece691)
    ("events", "0012_request_status_changes"),
    ("fellows", "0008_constraint_messages"),
    ("notifications", "0005_proposal_withdrawn_and_host_link_kinds"),
    ("impact", "0001_initial"),
]


class Release:
    """The historical models at a set of migrations, after migrating the database there."""

    def __init__(self, targets: list[tuple[str, str]] | None = None) -> None:
        executor = MigrationExecutor(connection)
        targets = targets or executor.loader.graph.leaf_nodes()
        executor.migrate(targets)
        self.apps = executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_previous_release_upgrades_and_keeps_what_users_submitted():
    old = Release(PREVIOUS_RELEASE)
    organization = old.apps.get_model("events", "Organization").objects.create(name="Grace Church")
    request = old.apps.get_model("events", "SpeakerRequest").objects.create(
        organization=organization,
        contact_name="Dana Kim",
        contact_email="dana@example.org",
        expected_audience=120,
        host_token_hash="h" * 64,
        status="confirmed",
    )
    fellow = old.apps.get_model("fellows", "Fellow").objects.create(
        display_name="Grace", feed_token_hash="f" * 64
    )
    tour = old.apps.get_model("fellows", "Tour").objects.create(
        name="Spring",
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 3, 20),
    )
    early = old.apps.get_model("fellows", "Tour").objects.create(
        name="Early",
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 3, 20),
        work_day_start=dt.time(6, 15),
    )
    starts = dt.datetime(2027, 3, 3, 18, tzinfo=dt.UTC)
    event = old.apps.get_model("events", "Event").objects.create(
        tour=tour,
        title="Grace Church",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=1),
        request=request,
        status="confirmed",
    )
    old.apps.get_model("events", "EventAssignment").objects.create(
        event=event, fellow=fellow, starts_at=event.starts_at, ends_at=event.ends_at
    )
    old.apps.get_model("notifications", "Notification").objects.create(
        kind="confirmation",
        recipient_email="dana@example.org",
        subject="Confirmed",
        body_text="See you there.",
        dedupe_key="confirmation:1",
        event=event,
        status="pending",
    )

    old.apps.get_model("impact", "SurveyLink").objects.create(
        event=event, salt="s" * 32, token_hash="t" * 64
    )
    answer = old.apps.get_model("impact", "SurveyResponse").objects.create(
        event=event, first_time="yes", comment="Moving story"
    )
    supporter = old.apps.get_model("impact", "SupporterContact").objects.create(
        event=event, email="friend@example.org", consent_text="Keep me informed", language="en"
    )
    old.apps.get_model("impact", "SupporterContact").objects.filter(pk=supporter.pk).update(
        consented_at=dt.datetime(2027, 3, 3, 23, 30, 12, 345678, tzinfo=dt.UTC)
    )

    items = old.apps.get_model("fellows", "ItineraryItem").objects
    for title, source in (
        ("Fly to Denver, CO", "planner"),
        ("Denver, CO까지 항공 이동", "planner"),  # accepted while Korean was active
        ("Drive to Denver, CO", "planner"),
        ("Fly to Denver, CO", "staff"),  # staff's own words: no mode is guessed
    ):
        items.create(
            tour=tour,
            kind="travel",
            source=source,
            title=title,
            starts_at=starts - dt.timedelta(hours=4),
            ends_at=starts - dt.timedelta(hours=1),
            to_location="Denver, CO",
        )

    new = Release()  # every migration since, as `manage.py migrate` runs them

    upgraded = new.apps.get_model("events", "SpeakerRequest").objects.get(pk=request.pk)
    assert (upgraded.contact_email, upgraded.host_token_hash, upgraded.status) == (
        "dana@example.org",
        "h" * 64,
        "confirmed",
    )
    assert upgraded.list_publicly is False  # nobody opted in by upgrading
    kept = new.apps.get_model("events", "Event").objects.get(pk=event.pk)
    assert (kept.starts_at, kept.status, kept.request_id) == (starts, "confirmed", request.pk)
    assert new.apps.get_model("fellows", "Fellow").objects.get(pk=fellow.pk).feed_token_hash == (
        "f" * 64
    )
    queued = new.apps.get_model("notifications", "Notification").objects.get()
    assert (queued.status, queued.dedupe_key, queued.event_id) == (
        "pending",
        "confirmation:1",
        event.pk,
    )
    tours = new.apps.get_model("fellows", "Tour").objects
    assert tours.get(pk=tour.pk).name == "Spring"
    # Tours get an earliest departure of 7:00, or their working day's start when earlier.
    assert tours.get(pk=tour.pk).earliest_departure == dt.time(7)
    assert tours.get(pk=early.pk).earliest_departure == dt.time(6, 15)
    assert new.apps.get_model("impact", "SurveyLink").objects.get().token_hash == "t" * 64
    kept_answer = new.apps.get_model("impact", "SurveyResponse").objects.get(pk=answer.pk)
    assert (kept_answer.first_time, kept_answer.comment, kept_answer.submission_key) == (
        "yes",
        "Moving story",
        "",
    )
    upgraded_items = new.apps.get_model("fellows", "ItineraryItem").objects.all()
    assert {(i.source, i.title): i.mode for i in upgraded_items} == {
        ("planner", "Fly to Denver, CO"): "flight",
        ("planner", "Denver, CO까지 항공 이동"): "flight",
        ("planner", "Drive to Denver, CO"): "drive",
        ("staff", "Fly to Denver, CO"): "",
    }
    kept_contact = new.apps.get_model("impact", "SupporterContact").objects.get(pk=supporter.pk)
    assert (kept_contact.email, kept_contact.consent_text, kept_contact.consented_on) == (
        "friend@example.org",
        "Keep me informed",
        dt.date(2027, 3, 3),  # the day, not the moment that matched the anonymous answer's
    )
