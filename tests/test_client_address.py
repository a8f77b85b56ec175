"""Behind proxies, every per-client limit keys on the client, not on the proxy in front of us.

All visitors then arrive from the load balancer's address; without TRUSTED_PROXY_COUNT one
abuser would lock every host out of the form and every fellow out of their login. With it, only
the entries the trusted proxies appended count: whatever a client writes into X-Forwarded-For
itself is ignored.
"""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from common.client_address import client_address
from events.models import SpeakerRequest
from tests.events.conftest import as_form_post, request_data
from tests.factories import FellowFactory, UserFactory

BALANCER = "10.0.0.5"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.7", BALANCER),  # no trusted proxy: the header is the client's own words
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a forged entry on the left is ignored
        (2, "6.6.6.6, 203.0.113.7, 10.0.0.9", "203.0.113.7"),
        (2, "203.0.113.7", BALANCER),  # fewer entries than proxies: no guessing
        (1, "", BALANCER),
    ],
)
def test_the_client_is_the_address_the_outermost_trusted_proxy_saw(proxies, forwarded, expected):
    request = RequestFactory().get("/", REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_address(request) == expected


def behind_balancer(address: str, forged: str = "") -> Client:
    forwarded = f"{forged}, {address}" if forged else address
    return Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1, REQUEST_RATE_LIMIT="2/h")
def test_one_hosts_submissions_do_not_spend_another_hosts_budget():
    url = reverse("events:request-speaker")
    abuser = behind_balancer("198.51.100.1")
    for n in range(2):
        assert (
            abuser.post(url, as_form_post(request_data(contact_email=f"a{n}@x.org"))).status_code
            == 302
        )
    # A fresh identity written into the header does not buy the abuser a fresh budget.
    forged = behind_balancer("198.51.100.1", forged="192.0.2.99")
    assert forged.post(url, as_form_post(request_data(contact_email="a3@x.org"))).status_code == 429

    other = behind_balancer("198.51.100.2")
    assert other.post(url, as_form_post(request_data(contact_email="b@x.org"))).status_code == 302
    assert SpeakerRequest.objects.count() == 3


@pytest.mark.django_db
@override_settings(TRUSTED_PROXY_COUNT=1, AXES_FAILURE_LIMIT=2)
def test_a_guessers_lockout_does_not_lock_the_fellow_out_from_their_own_address():
    user = UserFactory(username="grace", password="right-password-123")
    FellowFactory(user=user)
    url = reverse("fellows:login")
    guesser = behind_balancer("198.51.100.1")
    for _attempt in range(2):
        guesser.post(url, {"username": "grace", "password": "wrong"})
    assert (
        guesser.post(url, {"username": "grace", "password": "right-password-123"}).status_code
        == 429
    )

    fellow = behind_balancer("198.51.100.2")
    response = fellow.post(url, {"username": "grace", "password": "right-password-123"})
    assert response.status_code == 302
