"""iMIP invites (RFC 6047) for hosts: the iTIP calendar (RFC 5546) attached to confirmations,
updates and cancellations.

The VEVENT itself comes from common/calendars.py, the one module that builds iCalendar data;
this module only chooses the method, the host-facing summary and description, and the attendee.
Everything here is sent to a host, so it names fellows by display name only.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from common.calendars import calendar_bytes, event_vevent
from common.calendars import fellow_names as public_fellow_names
from notifications.protocols import HostedEvent

REQUEST = "REQUEST"
CANCEL = "CANCEL"


def host_summary(event: HostedEvent) -> str:
    return _("LiNK speaker visit: %(title)s") % {"title": event.title}


def host_description(event: HostedEvent, *, names: str) -> str:
    """What the host needs in their calendar: who speaks and when to expect them."""
    lines = []
    if names:
        lines.append(_("Speakers: %(names)s") % {"names": names})
    lines.append(
        _("The team arrives about %(minutes)d minutes before the start.")
        % {"minutes": event.arrival_minutes_before}
    )
    lines.append(_("Questions? Reply to the email this invitation came with."))
    return "\n".join(lines)


def render_invite(
    *,
    event: HostedEvent,
    method: str,
    attendee_email: str,
    attendee_name: str = "",
    fellow_names: str | None = None,
) -> str:
    """The .ics text for one host: METHOD:REQUEST for a new or changed event, CANCEL to drop it.

    `fellow_names` saves a query when the caller already has the public names.
    """
    names = fellow_names if fellow_names is not None else public_fellow_names(event)
    with translation.override("en"):
        vevent = event_vevent(
            event,
            summary=host_summary(event),
            description=host_description(event, names=names),
            attendee_email=attendee_email,
            attendee_name=attendee_name,
            cancelled=method == CANCEL,
        )
    return calendar_bytes([vevent], method=method).decode("utf-8")
