"""Login throttling: django-axes' database handler with a second, higher limit per address.

AXES_LOCKOUT_PARAMETERS counts failures per (username, address) and per address. Axes compares
the larger of the two with one limit, which would lock a whole office behind one NAT after a
few typos; this handler gives each its own: AXES_FAILURE_LIMIT for one username from one
address, AXES_ADDRESS_FAILURE_LIMIT for one address across every username it tries (someone
guessing names). A successful login clears only that username's count from that address, so
an attacker who holds one account cannot wipe the address's count by signing in with it.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class LoginThrottle(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_login, per_address = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        if per_address >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return max(per_login, get_failure_limit(request, credentials))
        return per_login

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        per_login = self.filter_user_attempts(request, credentials)[0]
        deleted, _by_model = per_login.delete()
        return deleted


def lockout_page(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page saying what happened and how long to wait (429)."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    response = render(
        request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response
