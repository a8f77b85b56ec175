"""htmx requests that meet "sign in first" load the sign-in page as a page, not into a panel.

htmx sends a board action (propose, open an event, move it) as an XHR and swaps the answer
into part of the page. When the session has ended meanwhile (signed out in another tab,
expired), the answer is a redirect to a sign-in page, which the XHR follows silently: the sign-in
form would land inside the panel of a page that still says who is signed in. Such an answer is
turned into htmx's own full-page redirect (the HX-Redirect header).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

SIGN_IN_PAGES = ("board:login", "fellows:login")


class SignInRedirectMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.headers.get("HX-Request") or response.status_code not in (301, 302, 303):
            return response
        location = response.get("Location", "")
        if urlsplit(location).path not in {reverse(page) for page in SIGN_IN_PAGES}:
            return response
        whole_page = HttpResponse(status=200)
        whole_page["HX-Redirect"] = location
        return whole_page
