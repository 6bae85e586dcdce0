"""The back office's own tags: an agent's saved filters above each admin list."""

from __future__ import annotations

from django import template

from core.support import is_support
from portal.saved_filters import saved_filters_of

register = template.Library()


@register.inclusion_tag("admin/back_office/_saved_filters.html", takes_context=True)
def saved_filters_bar(context) -> dict:
    """The agent's saved filters of this list (links, each deletable) and a form saving the
    current filters under a name when any are set. Support staff only; one query."""
    request = context.get("request")
    cl = context.get("cl")
    if request is None or cl is None or not is_support(request.user):
        return {"show": False}
    query = request.GET.urlencode()
    return {
        "show": True,
        "saved": saved_filters_of(request.user, request.path),
        "path": request.path,
        "query": query,
        "can_save": bool(query),
        "here": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def acts_for_support(user) -> bool:
    """``{% if request.user|acts_for_support %}``: the header's search box is for support staff."""
    return is_support(user)
