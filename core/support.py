"""Who acts for support: staff in the ``support`` group, and superusers.

The admin checks model permissions; so do the services that the admin, the pages and the API
share, through :func:`is_support`: membership of the group (or being a superuser) makes someone
support, and an action also needs the model permission the admin would ask for — the group
holds those permissions (granted by a migration, editable in the admin). A staff account
outside the group has no more rights in the API or on the pages than any other user.
"""

from __future__ import annotations

from django.db.models import Q

SUPPORT_GROUP = "support"
# Agents who also decide appeals of rulings and edit the policy; they belong to both groups.
SUPERVISOR_GROUP = "supervisor"


def is_support(user, perm: str | None = None) -> bool:
    """True for an active superuser, or an active staff member of the ``support`` group —
    who, when ``perm`` (``"app_label.codename"``) is given, also holds that permission."""
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
    if not cached:
        return False
    return perm is None or user.has_perm(perm)


def support_members():
    """The filter of users who act for support (superusers, staff of the group), for querysets."""
    return Q(is_active=True) & (Q(is_superuser=True) | Q(is_staff=True, groups__name=SUPPORT_GROUP))
