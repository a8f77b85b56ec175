"""Start-up checks of the mail settings (`manage.py check`, migrate and runserver run them).

A sender or staff address that is not exactly one address would fail every message at send
time (`LiNK Fellow Tours, Chicago <tours@example.org>` reads as two addresses), so it stops
the start instead.
"""

from __future__ import annotations

import email.policy

from django.conf import settings
from django.core.checks import Error, register

MAIL_ADDRESS_SETTINGS = ("DEFAULT_FROM_EMAIL", "STAFF_MAILBOX")


def single_address_problem(value: str) -> str:
    """Why `value` is not exactly one mail address (RFC 5322), or "" when it is one."""
    try:
        header = email.policy.default.header_factory("To", value)
    except Exception as exc:  # the parser raises several types for malformed input
        return f"does not parse as an address ({exc})"
    addresses = header.addresses
    if len(addresses) != 1:
        return f"reads as {len(addresses)} addresses, not one"
    if header.defects or not addresses[0].username or not addresses[0].domain:
        return "is not a valid address"
    return ""


@register("mail")
def check_mail_addresses(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for name in MAIL_ADDRESS_SETTINGS:
        value = getattr(settings, name, "")
        problem = single_address_problem(value)
        if problem:
            errors.append(
                Error(
                    f"{name} {problem}: {value!r}.",
                    hint=(
                        "Write exactly one address, e.g. tours@example.org or "
                        '"LiNK Fellow Tours, Chicago" <tours@example.org> (quote a name '
                        "that has a comma)."
                    ),
                    id="notifications.E001",
                )
            )
    return errors
