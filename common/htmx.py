"""htmx requests that meet "sign in first" load the sign-in page as a page, not into a panel.

htmx sends a board action (propose, open an event, move it) as an XHR and swaps the answer
into part of the page. When the session has ended meanwhile (signed out in another tab,
expired), the answer is a redirect to a sign-in page, which the XHR follows silently: the sign-in
form would land inside the panel of a page that still says who is signed in. Such an answer is
turned into htmx's own full-page redirect (the HX-Redirect header).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from common.csrf import SIGN_IN_PAGES


class SignInRedirectMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.headers.get("HX-Request") or response.status_code not in (301, 302, 303):
            return response
        location = urlsplit(response.get("Location", ""))
        if location.path not in {reverse(page) for page in SIGN_IN_PAGES}:
            return response
        # After signing in, back to the page the click came from: the action itself may be a
        # POST-only URL that a browser cannot open (htmx names the page in HX-Current-URL).
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        if page.path and (not page.netloc or page.netloc == request.get_host()):
            back = page.path + (f"?{page.query}" if page.query else "")
            location = location._replace(query=urlencode({"next": back}))
        whole_page = HttpResponse(status=200)
        whole_page["HX-Redirect"] = urlunsplit(location)
        return whole_page
