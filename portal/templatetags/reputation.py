"""Trust on the pages of other apps: ``{% trust_of person as trust %}`` (``portal.reputation``)."""

from __future__ import annotations

from django import template

from portal.reputation import trust_for

register = template.Library()


@register.simple_tag
def trust_of(user, with_reviews: bool = True):
    """The person's public record: rating, reviews, completed orders, level, on-time and responsiveness."""
    return trust_for(user, with_reviews=with_reviews)
