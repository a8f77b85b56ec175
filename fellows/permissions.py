"""Who may read a fellow's private details: legal name, contact, home base, unavailability
reasons. Staff need the explicit permission "view fellows' private details" (superusers have
every permission); everyone else on the staff sees display names only, on the board, in the API
and in the admin. Host-facing, public and other fellows' output never shows them at all.
"""

from __future__ import annotations

PRIVATE_DETAILS_PERMISSION = "fellows.view_private_details"
# Fellow fields behind the permission; the unavailability reason is one too (see the admin).
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
