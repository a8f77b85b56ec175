"""The speaker request's lifecycle: its states and every allowed transition, in one table.

Staff moves (the board, the API, the admin) and system moves (booking, confirming or cancelling
an event, a host withdrawing or reporting attendance, a decline) all go through
`events.services.set_request_status`, which refuses any move this table does not list.

    submitted → in review → proposed → confirmed → completed
         ↘           ↘          ↘           ↘
          withdrawn / declined   (reopened to in review by staff)
"""

from __future__ import annotations

from events.models import SpeakerRequest

Status = SpeakerRequest.Status

# from → {to: True when staff may make the move by hand, False when only the system makes it}
TRANSITIONS: dict[str, dict[str, bool]] = {
    Status.SUBMITTED: {
        Status.IN_REVIEW: True,
        Status.PROPOSED: False,  # a tentative event was booked for it
        Status.WITHDRAWN: True,
        Status.DECLINED: False,  # events.intake.decline_request, with a reason for the host
    },
    Status.IN_REVIEW: {
        Status.SUBMITTED: True,
        Status.PROPOSED: True,
        Status.WITHDRAWN: True,
        Status.DECLINED: False,
    },
    Status.PROPOSED: {
        Status.IN_REVIEW: True,  # also when its event is cancelled
        Status.CONFIRMED: True,
        Status.WITHDRAWN: True,
        Status.DECLINED: False,
    },
    Status.CONFIRMED: {
        Status.IN_REVIEW: True,
        Status.COMPLETED: True,
        Status.WITHDRAWN: True,
    },
    Status.DECLINED: {Status.IN_REVIEW: True},
    Status.WITHDRAWN: {Status.IN_REVIEW: True},
    Status.COMPLETED: {},
}

# The host may change their dates or withdraw only until a date is proposed...
HOST_EDITABLE = frozenset({Status.SUBMITTED, Status.IN_REVIEW})
# ...and their contact details as long as a visit is being arranged or planned.
HOST_CONTACT_EDITABLE = HOST_EDITABLE | {Status.PROPOSED, Status.CONFIRMED}
# An event may be booked or confirmed for a request only in these states.
BOOKABLE = frozenset({Status.SUBMITTED, Status.IN_REVIEW, Status.PROPOSED, Status.CONFIRMED})


def can_move(current: str, new: str, *, by_staff: bool = False) -> bool:
    """Whether a request may go from `current` to `new` (by hand, when `by_staff`)."""
    allowed = TRANSITIONS.get(current, {})
    return new in allowed and (allowed[new] or not by_staff)


def staff_targets(current: str) -> list[str]:
    """The states staff may move a request to by hand, for menus."""
    return [new for new, manual in TRANSITIONS.get(current, {}).items() if manual]
