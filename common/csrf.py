"""The answer to a form whose CSRF token no longer holds (Django's CSRF_FAILURE_VIEW).

The usual cause in a real browser is a second tab: signing in (or out) in one tab gives the
session a new token, and a form still open in another tab sends the old one. Someone already
signed in who submits a stale sign-in form is simply taken where signing in leads; anyone else
gets a page in plain words with a way back, still 403 and with nothing saved.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

# Sign-in pages and where a signed-in user who posts one of them again belongs.
SIGN_IN_PAGES = {"board:login": "board:home", "fellows:login": "fellows:me"}


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Redirect (302) a signed-in user's stale sign-in form; else a 403 page that says why."""
    if request.user.is_authenticated:
        for page, landing in SIGN_IN_PAGES.items():
            if request.path == reverse(page):
                wanted = request.POST.get("next") or request.GET.get("next") or ""
                safe = url_has_allowed_host_and_scheme(
                    wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                )
                return redirect(wanted if wanted and safe else reverse(landing))
    return render(request, "csrf_failure.html", {"back": request.path}, status=403)
