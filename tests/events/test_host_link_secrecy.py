"""Host links stay secret: the outbox keeps them sealed until sending and forgets them once
sent, so nothing in the database or the admin opens a host's page; staff can reissue a link,
which kills the old one at once and reaches only the host.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import intake
from events.models import SpeakerRequest
from notifications import delivery, sealed_links
from notifications.models import Notification
from tests.events.conftest import request_data
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
SITE_PATH = "/r/"


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def path_of(url: str) -> str:
    return SITE_PATH + token_of(url) + "/"


def every_stored_text() -> str:
    """Every text column of the outbox and the requests, as a database dump would hold them."""
    rows = [
        *Notification.objects.values_list(),
        *SpeakerRequest.objects.values_list(),
    ]
    return "\n".join(str(value) for row in rows for value in row)


def send_everything() -> list[mail.EmailMessage]:
    mail.outbox.clear()
    for pk in Notification.objects.order_by("pk").values_list("pk", flat=True):
        delivery.deliver(pk)
    return list(mail.outbox)


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(StaffFactory(username="root"))
    return client


def test_the_link_is_sealed_in_the_outbox_and_forgotten_once_sent(admin_client):
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    token = token_of(submission.host_url)
    row = Notification.objects.get()
    assert token not in every_stored_text()
    assert sealed_links.LINK_PLACEHOLDER in row.body_text
    admin_page = admin_client.get(reverse("admin:notifications_notification_change", args=[row.pk]))
    assert admin_page.status_code == 200 and token not in admin_page.content.decode()
    assert row.sealed_link not in admin_page.content.decode()

    [message] = send_everything()
    assert submission.host_url in message.body
    assert submission.host_url in message.alternatives[0][0]
    assert sealed_links.LINK_PLACEHOLDER not in message.body
    row.refresh_from_db()
    assert row.status == Notification.Status.SENT and row.sealed_link == ""
    assert token not in every_stored_text()
    assert Client().get(path_of(submission.host_url)).status_code == 200


def test_a_link_sealed_too_long_ago_is_not_sent_half_working(monkeypatch):
    intake.submit_speaker_request(data=request_data(), source="web")
    later = timezone.now() + sealed_links.SEALED_LINK_MAX_AGE + dt.timedelta(hours=1)
    monkeypatch.setattr("cryptography.fernet.time.time", lambda: later.timestamp())
    assert send_everything() == []
    row = Notification.objects.get()
    assert row.status == Notification.Status.DEAD and "reissue" in row.last_error


def test_staff_reissue_a_link_through_the_api(staff_api):
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    send_everything()
    speaker_request = submission.speaker_request
    response = staff_api.post(f"/api/v1/requests/{speaker_request.pk}/reissue-link/")
    assert response.status_code == 200
    assert SITE_PATH not in response.content.decode()  # only the host receives it
    assert Client().get(path_of(submission.host_url)).status_code == 404

    [message] = send_everything()
    assert message.to == ["dana@example.org"]
    new_url = next(word for word in message.body.split() if SITE_PATH in word)
    assert new_url != submission.host_url
    assert Client().get(path_of(new_url)).status_code == 200
    assert token_of(new_url) not in every_stored_text()


def test_staff_reissue_links_from_the_admin(admin_client):
    first = intake.submit_speaker_request(data=request_data(), source="web")
    send_everything()
    response = admin_client.post(
        reverse("admin:events_speakerrequest_changelist"),
        {"action": "reissue_host_links", "_selected_action": [first.speaker_request.pk]},
    )
    assert response.status_code == 302
    assert Client().get(path_of(first.host_url)).status_code == 404
    [message] = send_everything()
    assert "no longer works" in message.body


def test_an_anonymised_request_gets_no_new_link(staff_api):
    speaker_request = intake.submit_speaker_request(
        data=request_data(), source="web"
    ).speaker_request
    SpeakerRequest.objects.filter(pk=speaker_request.pk).update(anonymised_at=timezone.now())
    response = staff_api.post(f"/api/v1/requests/{speaker_request.pk}/reissue-link/")
    assert response.status_code == 400 and "contact_email" in response.json()
    assert Notification.objects.count() == 1


def test_rows_of_the_previous_release_are_sealed_by_the_migration():
    """The data migration: a queued row with the link in clear still sends a working link; a
    sent row loses it."""
    from importlib import import_module

    migration = import_module("notifications.migrations.0004_seal_links_in_stored_bodies")
    submission = intake.submit_speaker_request(data=request_data(), source="web")
    url = submission.host_url
    queued = Notification.objects.get()
    old_style = {
        "body_text": queued.body_text.replace(sealed_links.LINK_PLACEHOLDER, url),
        "body_html": queued.body_html.replace(sealed_links.LINK_PLACEHOLDER, url),
        "sealed_link": "",
    }
    Notification.objects.filter(pk=queued.pk).update(**old_style)
    sent = Notification.objects.create(
        kind=Notification.Kind.ACKNOWLEDGEMENT,
        dedupe_key="ack:old-sent",
        recipient_email="old@example.org",
        subject="Old",
        status=Notification.Status.SENT,
        **old_style,
    )
    migration.seal_links(django_apps, None)

    assert token_of(url) not in every_stored_text()
    sent.refresh_from_db()
    assert migration.REMOVED in sent.body_text and sent.sealed_link == ""
    [message] = send_everything()
    assert url in message.body
