"""WSGI entry point (gunicorn scheduler.wsgi).

Each web process loads, before it takes its first request, what a host's first submission
would otherwise wait for (about a second): the URL configuration with every view module, and
the offline ZIP and time-zone data sets.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scheduler.settings")
application = get_wsgi_application()


def _warm_up() -> None:
    from django.urls import get_resolver

    from common.geocoding import locate_zip

    get_resolver().url_patterns  # noqa: B018  (imports every view module)
    locate_zip("10001")


_warm_up()
