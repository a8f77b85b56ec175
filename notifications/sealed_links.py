"""Private links in outbox rows: sealed until sending, gone once sent.

A host's private link (/r/<token>/) is a bearer credential, and the database keeps only its
hash. The message carrying it must still be sent, possibly retried, after the transaction that
made the link: so the stored body holds LINK_PLACEHOLDER and the row keeps the link sealed
(Fernet: AES-CBC with an HMAC, timestamped), with a key derived from SECRET_KEY, which is not in
the database. Delivery unseals it into the message it hands to SMTP and erases the sealed value
in the same UPDATE that marks the row sent. A database dump, the admin's outbox pages and the
API then hold nothing that opens the host's page; SECRET_KEY_FALLBACKS keep unsent rows
readable across a key rotation.

A sealed link older than SEALED_LINK_MAX_AGE is refused at sending: staff reissue the link
instead (events.intake.reissue_host_link), which also revokes the old one.
"""

from __future__ import annotations

import base64
import datetime as dt

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac

LINK_PLACEHOLDER = "[private link: added when the message is sent]"
SEALED_LINK_MAX_AGE = dt.timedelta(days=14)
_SALT = "notifications.sealed_links"


class LinkUnavailable(Exception):
    """The sealed link cannot be opened any more (too old, or sealed under another key)."""


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(_SALT, "key", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def seal(link: str) -> str:
    return _fernet().encrypt(link.encode("utf-8")).decode("ascii")


def unseal(sealed: str) -> str:
    try:
        ttl = int(SEALED_LINK_MAX_AGE.total_seconds())
        return _fernet().decrypt(sealed.encode("ascii"), ttl=ttl).decode("utf-8")
    except (InvalidToken, ValueError) as exc:
        raise LinkUnavailable(
            "The private link in this message has expired or cannot be read; "
            "reissue the host's link instead of retrying."
        ) from exc


def fill_in(text: str, link: str) -> str:
    return text.replace(LINK_PLACEHOLDER, link)
