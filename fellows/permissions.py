"""Who may read a fellow's private details: legal name, contact, home base, unavailability
reasons. Staff need the explicit permission "view fellows' private details" (superusers have
every permission); everyone else on the staff sees display names only, on the board, in the API
and in the admin. Host-facing, public and other fellows' output never shows them at all.
"""

from __future__ import annotations

PRIVATE_DETAILS_PERMISSION = "fellows.view_private_details"
# A fellow's profile, in two parts (the API, the admin and the data export take their fields
# from these; tests/test_privacy.py checks every Fellow field is in one or is bookkeeping).
# What any staff member may see:
STAFF_FELLOW_FIELDS = ("display_name", "languages", "preferred_language", "bio", "active")
# Behind the permission; the unavailability reason is one too (see the admin):
PRIVATE_FELLOW_FIELDS = (
    "legal_name",
    "email",
    "phone",
    "home_base",
    "home_latitude",
    "home_longitude",
)


def can_view_private_details(user) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_active", False)
        and user.has_perm(PRIVATE_DETAILS_PERMISSION)
    )
