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
from credit.selectors import credit_events_mark_counting, credit_events_pages_for_page, score_history
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
        "chart": score_chart(score_history(user), now=now),
    }
    return render(request, "credit/credit.html", context)


CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 140, 8


def score_chart(points: list[tuple], *, now) -> dict | None:
    """The score over time as an SVG polyline (x by time, y from 0 to 100), from everyone's start
    at 100 before the first event to now; None without events."""
    if not points:
        return None
    start = points[0][0]
    span = max((now - start).total_seconds(), 1e-6)
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD

    def xy(at, score) -> str:
        x = CHART_PAD + inner_w * (at - start).total_seconds() / span
        y = CHART_PAD + inner_h * (100 - score) / 100
        return f"{x:.1f},{y:.1f}"

    # A step line: the score holds until the next event changes it.
    coords, previous = [xy(start, points[0][1])], points[0][1]
    for at, score in points[1:]:
        coords += [xy(at, previous), xy(at, score)]
        previous = score
    coords.append(xy(now, previous))
    return {
        "points": " ".join(coords),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "first": points[0],
        "last": points[-1],
        "count": len(points),
        "low": min(score for _at, score in points),
        "y50": CHART_PAD + inner_h / 2,
        "y100": CHART_PAD,
        "y0": CHART_PAD + inner_h,
    }
