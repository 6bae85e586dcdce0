"""The credit page: the signed-in user's own score, completion rate and events, each explained.

It shows credit's score and events beside the completion rate orders counts and the
responsiveness disputes records, so it lives in the composition layer.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from core.web import paginate
from credit.models import Level
from credit.selectors import credit_events_mark_counting, credit_events_pages_for_page
from disputes.services.appeals import penalty_appeals_mark

from .selectors import credit_summary_for

EVENTS_PER_PAGE = 25


@login_required
def credit_page(request: HttpRequest) -> HttpResponse:
    """Always the viewer's own: a completion rate is seen only by its provider (and staff, in the admin)."""
    user, now = request.user, timezone.now()
    summary = credit_summary_for(user, now=now)
    policy = summary.policy  # read once for the whole page
    counting = summary.counting
    page = paginate(request, credit_events_pages_for_page(user), per_page=EVENTS_PER_PAGE)
    page.object_list = credit_events_mark_counting(page.object_list, counting)
    penalty_appeals_mark(user=user, events=page.object_list, now=now)
    context = {
        "summary": summary,
        "rate": summary.completion,
        "level_label": Level(summary.level).label,
        "levels": dict(Level.choices),
        "policy": policy,
        "counting": counting,
        "page": page,
    }
    return render(request, "credit/credit.html", context)
