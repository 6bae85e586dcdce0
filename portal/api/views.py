"""The partner API for a user's credit explained: the caller's own score, completion rate and events.

Credit's score and events beside orders' completion rate and disputes' responsiveness: an
endpoint of the composition layer.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from core.api.pagination import Pagination
from core.api.representation import Representer
from core.api.schema import PAGE_PARAMETERS, problems
from core.api.views import ApiView
from credit.selectors import credit_events_mark_counting, credit_events_pages
from portal.selectors import credit_summary_for

from .serializers import CreditOutputSerializer


class MeCreditApi(ApiView):
    pagination_class = Pagination  # read by the schema generator; the events are paged with it

    @extend_schema(
        operation_id="me_credit_retrieve",
        tags=["credit"],
        summary="The caller's credit, explained",
        description="The score with every event that moved it (newest first, paged with `page` and "
        "`page_size`: `events_next` links the next page), the caller's own completion rate as a "
        "provider (raw rate and sample beside the smoothed rate that levels use), the level it earns, "
        "active restrictions with what restores access, and the cancellations that count now, each "
        "with the moment it stops counting. Nobody else's rate is ever shown.",
        parameters=PAGE_PARAMETERS,
        responses={200: CreditOutputSerializer, **problems(401, 404)},
    )
    def get(self, request):
        user, now = request.user, timezone.now()
        summary = credit_summary_for(user, now=now)
        paginator = Pagination()
        counting = summary.counting
        events = paginator.paginate_queryset(credit_events_pages(user), request, view=self)
        events = credit_events_mark_counting(events, counting)
        data = {
            "score": summary.score,
            "completion_rate": summary.completion,
            "level": summary.level,
            "restricted": bool(summary.restrictions) or summary.below_min_score,
            "restrictions": summary.restrictions,
            "below_min_score": summary.below_min_score,
            "min_provider_score": summary.min_provider_score,
            "responsiveness": {
                "unanswered_update_requests": summary.unanswered_update_requests,
                "window_days": summary.completion.window_days,
            },
            "counting_cancellations": counting,
            "events": events,
            "events_count": paginator.page.paginator.count,
            "events_next": paginator.get_next_link(),
            "events_previous": paginator.get_previous_link(),
        }
        return Response(_credit_data(data))


_credit_data = Representer(CreditOutputSerializer)
