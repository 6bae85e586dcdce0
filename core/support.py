"""Who acts for support: staff in the ``support`` group, and superusers.

The admin checks model permissions; the support API (``/api/v1/support/…``) and the services
it calls check this. A staff account outside the group has no more rights in the API than
any other user.
"""

from __future__ import annotations

SUPPORT_GROUP = "support"


def is_support(user) -> bool:
    """True for an active superuser, or an active staff member of the ``support`` group."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.is_staff:
        return False
    cached = getattr(user, "_gigfair_is_support", None)
    if cached is None:
        cached = user.groups.filter(name=SUPPORT_GROUP).exists()
        user._gigfair_is_support = cached
    return cached
