"""What messages read of the requests and events they are about.

notifications sits below events (the import-linter layers in pyproject.toml), so it cannot
name ``events.models.SpeakerRequest`` or ``Event``; these Protocols list the attributes it
reads, and mypy checks that the models have them wherever events passes one in. Templates may
read more (they are given the object itself).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol


class HostRequest(Protocol):
    """A host's speaker request (events.models.SpeakerRequest)."""

    @property
    def pk(self) -> Any: ...

    @property
    def contact_email(self) -> str: ...

    @property
    def contact_name(self) -> str: ...

    @property
    def reference(self) -> str: ...

    @property
    def status_changed_at(self) -> dt.datetime | None: ...


class HostedEvent(Protocol):
    """A booked talk (events.models.Event): its calendar identity (UID + SEQUENCE), what the
    host reads, and its request, None for an event staff booked without one."""

    @property
    def pk(self) -> Any: ...

    @property
    def ical_uid(self) -> str: ...

    @property
    def sequence(self) -> int: ...

    @property
    def title(self) -> str: ...

    @property
    def starts_at(self) -> dt.datetime: ...

    @property
    def arrival_minutes_before(self) -> int: ...

    @property
    def request(self) -> HostRequest | None: ...

    @property
    def notifications(self) -> Any: ...  # the reverse manager of Notification.event
