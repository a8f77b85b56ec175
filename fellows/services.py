"""Writes for fellows and tours: feed tokens and unavailability."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from fellows.models import Fellow
from scheduler.tokens import hash_token, new_token


@transaction.atomic
def rotate_feed_token(*, fellow: Fellow) -> str:
    """Give the fellow a new feed token and return it; the old feed URL stops working at once."""
    token = new_token()
    fellow.feed_token_hash = hash_token(token)
    fellow.feed_token_created_at = timezone.now()
    fellow.save(update_fields=["feed_token_hash", "feed_token_created_at", "updated_at"])
    return token
