"""The public request page (/request/): accessible, works without JavaScript, keeps what was
typed after an error, saves nothing when anything is wrong, and is rate limited."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from events.models import SpeakerRequest
from notifications.models import Notification
from tests.events.conftest import as_form_post, request_data, window

pytestmark = pytest.mark.django_db
URL = "/request/"


def test_every_visible_field_has_a_label(client):
    html = client.get(URL).content.decode()
    controls = re.findall(r"<(?:input|select|textarea)[^>]*>", html)
    visible = [c for c in controls if 'type="hidden"' not in c and "__prefix__" not in c]
    ids = {re.search(r'\sid="([^"]+)"', c).group(1) for c in visible}
    labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', html))
    assert "id_organization_name" in ids and "id_windows-0-start_date" in ids
    assert ids <= labelled, ids - labelled


def test_the_page_fits_a_phone_and_shows_the_times_zone(client):
    html = client.get(URL).content.decode()
    assert 'name="viewport" content="width=device-width' in html
    assert "Times in:" in html and "the venue&#x27;s local time" in html


def test_a_valid_request_is_saved_and_the_reference_shown(client):
    response = client.post(URL, as_form_post(request_data()), follow=True)
    saved = SpeakerRequest.objects.get()
    assert response.redirect_chain == [(reverse("events:request-received"), 302)]
    assert saved.reference in response.content.decode()
    assert saved.source == SpeakerRequest.Source.WEB
    assert saved.windows.count() == 2
    assert Notification.objects.filter(speaker_request=saved, kind="acknowledgement").exists()


def test_blank_and_removed_windows_are_ignored(client):
    post = as_form_post(request_data(windows=[window(0), window(7)]), extra_rows=1)
    post["windows-1-DELETE"] = "on"
    client.post(URL, post)
    saved = SpeakerRequest.objects.get()
    assert [w.start_date for w in saved.windows.all()] == [window(0)["start_date"]]


def test_errors_are_shown_beside_fields_and_summarised_and_input_is_kept(client):
    data = request_data(expected_audience=0, zip_code="10001", contact_name="Kim Dana")
    data["windows"][1] = window(-90)
    response = client.post(URL, as_form_post(data))
    html = response.content.decode()
    assert response.status_code == 200
    assert SpeakerRequest.objects.count() == 0 and Notification.objects.count() == 0
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_expected_audience"' in summary
    assert 'href="#id_zip_code"' in summary
    assert 'href="#id_windows-1-start_date"' in summary
    # Beside the field: the error list is referenced by the input and marks it invalid.
    assert re.search(r'id="id_expected_audience_error"', html)
    assert re.search(
        r'<input[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*id_zip_code_error', html
    ) or re.search(r'<input[^>]*aria-describedby="id_zip_code_error"[^>]*aria-invalid', html)
    assert 'value="Kim Dana"' in html
    assert 'value="100 W Randolph St"' in html


def test_add_another_window_without_javascript_keeps_input_and_saves_nothing(client):
    post = as_form_post(request_data(windows=[window(0)]))
    post["add_window"] = "1"
    response = client.post(URL, post)
    html = response.content.decode()
    assert SpeakerRequest.objects.count() == 0
    assert 'name="windows-1-start_date"' in html
    assert f'value="{window(0)["start_date"].isoformat()}"' in html
    assert 'value="Loop Community Church"' in html
    assert 'id="error-summary"' not in html


def test_the_honeypot_field_stops_a_bot(client):
    post = as_form_post(request_data())
    post["nickname"] = "buy cheap watches"
    response = client.post(URL, post)
    assert response.status_code == 200
    assert SpeakerRequest.objects.count() == 0


def test_too_many_submissions_answer_429_with_a_readable_message(client, settings):
    settings.REQUEST_RATE_LIMIT = "2/h"
    post = as_form_post(request_data(expected_audience=0))
    assert client.post(URL, post).status_code == 200
    assert client.post(URL, post).status_code == 200
    refused = client.post(URL, as_form_post(request_data()))
    assert refused.status_code == 429
    page = refused.content.decode()
    assert "Please try again in" in page
    assert 'value="Loop Community Church"' in page  # what the host typed is still there
    assert int(refused["Retry-After"]) > 0
    assert SpeakerRequest.objects.count() == 0


def test_the_received_page_needs_a_submission(client):
    response = client.get(reverse("events:request-received"))
    assert response.status_code == 302
    assert response["Location"] == URL


def test_rule_errors_are_shown_together_with_unreadable_fields(client):
    data = request_data(expected_audience=0, zip_code="10001")
    post = as_form_post(data)
    post["organization_name"] = ""
    post["windows-0-start_date"] = "not a date"
    html = client.post(URL, post).content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#id_organization_name"' in summary  # the form could not read it
    assert 'href="#id_windows-0-start_date"' in summary
    assert 'href="#id_expected_audience"' in summary  # the intake rules, in the same reply
    assert 'href="#id_zip_code"' in summary
    assert summary.count('href="#id_organization_name"') == 1
    assert SpeakerRequest.objects.count() == 0
