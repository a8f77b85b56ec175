"""What /api/docs/ says about each operation: written for the people who call the API (staff
tools, host sites), not for the developers of this code. drf-spectacular would otherwise show
a view's docstring, which holds developer notes; every operation gets a summary and a
description here instead, and tests/test_api_docs.py checks that none is missing.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

# viewset basename -> action -> (summary, description)
OPERATIONS: dict[str, dict[str, tuple[str, str]]] = {
    "organization": {
        "list": ("List host organizations", "Churches, universities, schools, companies, …"),
        "create": ("Add a host organization", "Name, kind and website."),
        "retrieve": ("One host organization", ""),
        "update": ("Replace a host organization", ""),
        "partial_update": ("Change a host organization", ""),
        "destroy": (
            "Delete a host organization",
            "Refused with 409 while requests of the organization exist.",
        ),
    },
    "speakerrequest": {
        "list": (
            "List speaker requests",
            "Filter by status, state, kind of host, source, audience, date windows and distance "
            "(`near=lat,lon&radius_km=`, nearest first).",
        ),
        "create": (
            "Ask for a speaker (public)",
            "The same rules as the request form, with errors per field and per window. The "
            "answer carries the host's private link, shown only here and in the "
            "acknowledgement email. Limited per client address.",
        ),
        "retrieve": ("One speaker request", "Everything the host sent, with its windows."),
        "decline": ("Decline a request", "`reason` is sent to the host."),
        "reissue_link": (
            "Email the host a new private link",
            "The old link stops working at once; the new one goes to the host by email only.",
        ),
        "change_status": ("Move a request to another status", "Only moves the lifecycle allows."),
    },
    "event": {
        "list": ("List events", "Filter by tour and status."),
        "create": (
            "Book an event",
            "Checked against the booking rules (no double booking with travel time, "
            "unavailability, events per day, tour dates); the host is emailed the proposed time.",
        ),
        "retrieve": ("One event", ""),
        "confirm": (
            "Confirm an event",
            "Sends the host the calendar invite. `note` is needed when the host said the "
            "proposed time does not work.",
        ),
        "cancel": ("Cancel an event", "An optional `reason` is told to the host."),
        "reschedule": (
            "Move an event",
            "Re-checked against the booking rules; a confirmed event's host gets an update.",
        ),
    },
    "fellow": {
        "list": (
            "List fellows",
            "Display names; private details only for staff with that permission.",
        ),
        "retrieve": ("One fellow", ""),
        "rotate_feed": (
            "Make a new feed link for a fellow",
            "Shown once in the answer; the old link stops working at once.",
        ),
    },
    "tour": {
        "list": ("List tours", ""),
        "create": ("Create a tour", "Dates, region, rules, start and end, members by team."),
        "retrieve": ("One tour", ""),
        "update": (
            "Replace a tour",
            "Booked events are re-checked; what would break is named and nothing is saved.",
        ),
        "partial_update": (
            "Change a tour",
            "Booked events are re-checked; what would break is named and nothing is saved.",
        ),
        "destroy": ("Delete a tour", "Refused with 409 while the tour has events."),
        "rotate_feed": (
            "Make a new feed link for a tour",
            "Shown once in the answer; the old link stops working at once.",
        ),
    },
    "notification": {
        "list": (
            "List sent and unsent messages",
            "Newest first; `?status=dead` lists the messages that need a person.",
        ),
        "retrieve": ("One message", "Its status, attempts and last error."),
        "retry": ("Send a failed or dead message again", ""),
    },
    "proposal": {
        "list": ("List planner proposals", ""),
        "create": (
            "Ask the planner for a proposal",
            "Runs in the background; read its progress on the proposal.",
        ),
        "retrieve": (
            "One proposal",
            "Progress while it runs; then the itinerary and every request left out, with why.",
        ),
        "accept": (
            "Accept a proposal, in full or in part",
            "Books tentative events through the booking rules and emails each host.",
        ),
    },
}


def document(viewset: type, basename: str) -> type:
    """Attach OPERATIONS[basename] to the viewset's actions (those it has)."""
    actions = {
        # An empty description would let spectacular fall back to the docstring.
        name: extend_schema(summary=summary, description=description or f"{summary}.")
        for name, (summary, description) in OPERATIONS.get(basename, {}).items()
        if hasattr(viewset, name)
    }
    return extend_schema_view(**actions)(viewset) if actions else viewset
