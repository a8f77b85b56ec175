"""The admin site: Django's, plus optional TOTP verification for staff (django-otp).

With OTP_REQUIRED_FOR_STAFF off (the default) it behaves exactly like Django's AdminSite. With
it on, the admin acts like django-otp's OTPAdminSite: a staff user counts as staff here only
once the session was verified with one of their OTP devices, and the login form asks for the
token. The switch is read on every request rather than at import, so one process (and the test
suite) can see both behaviours without rebuilding the URLconf.
"""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from common.sign_in import otp_required_for_staff


class StaffAdminSite(AdminSite):
    """Django's admin site, with django-otp's checks while OTP_REQUIRED_FOR_STAFF is on."""

    # AdminSite declares these as plain attributes; a property decides per login.
    site_header = _("LiNK Fellow Tours — administration")
    site_title = _("LiNK Fellow Tours")
    index_title = _("Administration")
    site_url = "/staff/"  # "View site" leads staff back to the tour board

    @property
    def login_form(self) -> type[OTPAdminAuthenticationForm] | None:  # type: ignore[override]
        return OTPAdminAuthenticationForm if otp_required_for_staff() else None

    @property
    def login_template(self) -> str | None:  # type: ignore[override]
        return OTPAdminSite.login_template if otp_required_for_staff() else None

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        if not otp_required_for_staff():
            return True
        # OTPMiddleware gives every user is_verified(): true only after a device's token was
        # accepted in this session. Unverified staff are treated as not staff, as in OTPAdminSite.
        return bool(request.user.is_verified())  # type: ignore[union-attr]
