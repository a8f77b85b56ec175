"""Secret tokens for private links and feeds: generated once, stored only as a hash.

A token is 32 random bytes, URL-safe. The database keeps its SHA-256 digest, so a leaked
database does not leak working links; looking a token up hashes the presented value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_salt() -> str:
    return secrets.token_hex(16)


def derived_token(*, purpose: str, salt: str) -> str:
    """A token computed from SECRET_KEY, a purpose and a stored salt (HMAC-SHA256).

    The database keeps the salt and the token's hash, never the token: a leaked database does
    not leak working links, yet the application can write the link into any later message.
    A new salt retires the old token at once.
    """
    from django.conf import settings

    mac = hmac.new(settings.SECRET_KEY.encode(), f"{purpose}|{salt}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
