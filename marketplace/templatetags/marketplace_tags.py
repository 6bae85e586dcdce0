"""The marketplace's tags: the signed-in user's unread notifications, in the header of every page."""

from __future__ import annotations

from django import template

from marketplace.selectors import notification_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The signed-in user's unread notifications, counted once per request however often it is asked."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, "_gigfair_unread"):
        request._gigfair_unread = notification_unread_count(user=user)
    return request._gigfair_unread
