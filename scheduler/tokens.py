"""Secret tokens for private links and feeds: generated once, stored only as a hash.

A token is 32 random bytes, URL-safe. The database keeps its SHA-256 digest, so a leaked
database does not leak working links; looking a token up hashes the presented value.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
