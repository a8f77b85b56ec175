"""Production hardening: `check --deploy` is clean with production settings from the
environment, every response carries the Content-Security-Policy, repeated failed logins lock
the username for that address (django-axes), and optional staff two-factor guards the admin.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from tests.factories import FellowFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery"

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-of-more-than-fifty-characters-with-5-kinds-0f-Chars!",
    "ALLOWED_HOSTS": "tours.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://tours.example.org",
    "SITE_URL": "https://tours.example.org",
    "SECURE_SSL_REDIRECT": "true",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "BEHIND_TLS_PROXY": "true",
}


def run_deploy_check(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    # Only what settings.py reads: a developer's .env must not leak production values in or
    # out, so VAR_DIR points at a scratch folder and everything else comes from extra_env.
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "DATABASE_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**keep, **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_deploy_check({**PRODUCTION_ENV, "VAR_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_flags_development_defaults(tmp_path):
    """The check above can fail: the development defaults are not fit for production."""
    result = run_deploy_check({"VAR_DIR": str(tmp_path), "DEBUG": "true"})
    assert result.returncode != 0
    assert "security.W018" in result.stderr + result.stdout  # DEBUG on


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/request/", "/api/docs/", "/admin/login/", "/ping"])
def test_every_page_carries_the_content_security_policy(client, path):
    policy = client.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"  # no inline or foreign scripts
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


@pytest.mark.django_db
def test_api_docs_load_their_start_up_script_from_our_origin(client):
    """Swagger UI runs under script-src 'self': no inline <script> in the page, and the script
    it names is served by us as JavaScript."""
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


@pytest.mark.django_db
def test_templates_have_no_inline_scripts_or_handlers():
    """The policy forbids inline scripts, so none may come back in our own templates."""
    offenders = []
    for template in ROOT.glob("*/templates/**/*.html"):
        text = template.read_text()
        if "<script>" in text or " onclick=" in text or " onload=" in text or " onchange=" in text:
            offenders.append(str(template.relative_to(ROOT)))
    assert offenders == []


# -- login throttling (django-axes) ------------------------------------------------------------


@pytest.fixture
def fellow_user(db):
    user = UserFactory(username="grace", password=PASSWORD)
    FellowFactory(user=user)
    return user


def post_login(client: Client, url: str, password: str):
    return client.post(url, {"username": "grace", "password": password})


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
@pytest.mark.parametrize("login_url", ["/me/login/", "/admin/login/"])
def test_repeated_failures_lock_the_login_even_for_the_right_password(login_url, fellow_user):
    client = Client()
    if login_url == "/admin/login/":
        fellow_user.is_staff = True
        fellow_user.save()
    for _attempt in range(2):
        assert post_login(client, login_url, "wrong-guess").status_code == 200  # form again
    # The third failure reaches the limit and is answered with the lockout page at once.
    assert post_login(client, login_url, "wrong-guess").status_code == 429
    locked = post_login(client, login_url, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_right_password_below_the_limit_signs_in(fellow_user):
    client = Client()
    for _attempt in range(2):
        post_login(client, "/me/login/", "wrong-guess")
    response = post_login(client, "/me/login/", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("fellows:me")


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_lockout_leaves_api_tokens_and_sessions_working(fellow_user):
    staff = UserFactory(username="coordinator-x", is_staff=True, password=PASSWORD)
    attacker = Client()
    for _attempt in range(4):
        attacker.post("/admin/login/", {"username": staff.username, "password": "guess"})
    assert (
        attacker.post(
            "/admin/login/", {"username": staff.username, "password": PASSWORD}
        ).status_code
        == 429
    )
    token = Token.objects.create(user=staff)
    by_token = Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert by_token.status_code == 200
    signed_in = Client()
    signed_in.force_login(staff)
    assert signed_in.get("/api/v1/requests/").status_code == 200


# -- optional staff two-factor (django-otp) ----------------------------------------------------


@pytest.fixture
def staff_with_device(db):
    staff = UserFactory(username="otp-staff", is_staff=True, is_superuser=True, password=PASSWORD)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    return staff, device


def current_token(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.django_db
def test_without_otp_required_a_password_login_reaches_the_admin(staff_with_device):
    staff, _device = staff_with_device
    client = Client()
    client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
@override_settings(OTP_REQUIRED_FOR_STAFF=True)
def test_with_otp_required_staff_without_a_verified_device_cannot_reach_the_admin(
    staff_with_device,
):
    staff, _device = staff_with_device
    client = Client()
    client.force_login(staff)  # a password session, as /me/login/ would make
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    # The password alone is not enough at the admin's own login either.
    client.post("/admin/login/", {"username": staff.username, "password": PASSWORD})
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
@override_settings(OTP_REQUIRED_FOR_STAFF=True)
def test_with_otp_required_a_valid_totp_token_opens_the_admin(staff_with_device):
    staff, device = staff_with_device
    client = Client()
    login = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": staff.username,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": current_token(device),
        },
    )
    assert login.status_code == 302, login.content.decode()[:2000]
    assert client.get("/admin/").status_code == 200
    assert client.get("/staff/").status_code == 200


@pytest.mark.django_db
@override_settings(OTP_REQUIRED_FOR_STAFF=True)
def test_with_otp_required_the_tour_board_also_needs_the_second_factor(staff_with_device):
    staff, _device = staff_with_device
    client = Client()
    client.force_login(staff)  # password only
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("board:login"))
    # The board's own sign-in page asks for the token too: the password alone is refused.
    answer = client.post(reverse("board:login"), {"username": staff.username, "password": PASSWORD})
    assert answer.status_code == 200
    assert client.get("/staff/").status_code == 302


@pytest.mark.django_db
@override_settings(OTP_REQUIRED_FOR_STAFF=True)
def test_with_otp_required_the_board_sign_in_accepts_a_valid_token(staff_with_device):
    staff, device = staff_with_device
    client = Client()
    login = client.post(
        reverse("board:login"),
        {
            "username": staff.username,
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": current_token(device),
        },
    )
    assert login.status_code == 302, login.content.decode()[:2000]
    assert client.get("/staff/").status_code == 200


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3, AXES_ADDRESS_FAILURE_LIMIT=6)
def test_one_address_guessing_many_usernames_is_locked_out_with_a_clear_page(fellow_user):
    client = Client()
    for guess in range(6):
        answer = client.post("/me/login/", {"username": f"guess-{guess}", "password": "x"})
    # Six usernames, one failure each: no username reached 3, the address reached 6.
    assert answer.status_code == 429
    locked = post_login(client, "/me/login/", PASSWORD)
    assert locked.status_code == 429 and "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert "Too many failed sign-ins" in page and "30 minutes" in page
    assert locked["Retry-After"] == "1800"
    # Another address is not affected.
    elsewhere = Client(REMOTE_ADDR="192.0.2.77")
    assert post_login(elsewhere, "/me/login/", PASSWORD).status_code == 302


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3, AXES_ADDRESS_FAILURE_LIMIT=6)
def test_signing_in_with_one_account_does_not_clear_the_address_count(fellow_user):
    client = Client()
    for guess in range(5):
        client.post("/me/login/", {"username": f"guess-{guess}", "password": "x"})
    assert post_login(client, "/me/login/", PASSWORD).status_code == 302
    client.logout()
    answer = client.post("/me/login/", {"username": "guess-9", "password": "x"})
    assert answer.status_code == 429
