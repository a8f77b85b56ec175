"""The sign-in and sign-out pages in the product's own look, and the staff two-factor switch.

Staff sign in to the board with the admin's rules (staff only; a TOTP token while
OTP_REQUIRED_FOR_STAFF is on), which the admin site (scheduler/admin_site.py) reads here too;
fellows' pages subclass the sign-out page with their own way back in (events/fellow_views.py).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.urls import reverse, reverse_lazy
from django_otp.forms import OTPAuthenticationForm


def otp_required_for_staff() -> bool:
    # Read on every request rather than at import, so one process (and the test suite) can
    # see both behaviours without rebuilding the URLconf.
    return settings.OTP_REQUIRED_FOR_STAFF


class StaffOTPAuthenticationForm(OTPAuthenticationForm, AdminAuthenticationForm):
    """Staff only (as the admin's form), and a TOTP token when staff two-factor is on."""


class StaffLoginView(auth_views.LoginView):
    """The board's sign-in page: the admin's rules (staff only; a TOTP token while
    OTP_REQUIRED_FOR_STAFF is on) on a page in the product's own look."""

    template_name = "registration/login.html"
    redirect_authenticated_user = False
    extra_context = {"audience": "staff"}

    def get_default_redirect_url(self) -> str:
        return reverse("board:home")

    def get_form_class(self):
        return StaffOTPAuthenticationForm if otp_required_for_staff() else AdminAuthenticationForm


class SignOutView(auth_views.LogoutView):
    """POST only (Django's LogoutView), behind CSRF; a page saying so, with the way back in."""

    template_name = "registration/signed_out.html"
    extra_context = {"sign_in_url": reverse_lazy("board:login")}
