"""Security wiring that Django loads by dotted path before the app registry is ready.

This module must stay import-light (no models, no admin sites): INSTALLED_APPS names
`AdminConfig` here, and Django imports it while it is still populating the registry. The admin
site itself lives in scheduler/admin_site.py and is only named here.

Where the rest lives: login throttling is django-axes (AUTHENTICATION_BACKENDS and the last
middleware, configured in settings.py from AXES_* variables), the Content-Security-Policy is
django-csp's middleware (CONTENT_SECURITY_POLICY in settings.py), and who may open which URL is
written down in docs/permissions.md and checked by tests/test_permissions_matrix.py.
"""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """The Django admin, served by our site class so staff two-factor can be switched on."""

    default_site = "scheduler.admin_site.StaffAdminSite"
