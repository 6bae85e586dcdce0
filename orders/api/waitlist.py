"""The partner API for a full shift's waitlist: join, leave, and read it (the worker their own
entry and place in line; the employer who waits)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.schema import IDEMPOTENCY_KEY, problems
from core.api.views import ApiView
from core.exceptions import NotFound
from marketplace.selectors import listing_get
from orders import waitlist
from orders.models import WaitlistState


class WaitlistEntrySerializer(serializers.Serializer):
    worker = serializers.CharField(source="worker.username")
    state = serializers.ChoiceField(choices=WaitlistState.values)
    position = serializers.IntegerField(help_text="1 for the first in line; 0 once offered a place.")
    created_at = serializers.DateTimeField()
    offer_expires_at = serializers.DateTimeField(
        allow_null=True, help_text="While offered: book the shift before this, or the place goes to the next worker."
    )


def _data(entry) -> dict:
    return {
        "worker": entry.worker,
        "state": entry.state,
        "position": waitlist.waitlist_position(entry),
        "created_at": entry.created_at,
        "offer_expires_at": entry.offer_expires_at,
    }


class ListingWaitlistApi(ApiView):
    def _listing(self, id: int):
        listing = listing_get(pk=id)
        if listing is None:
            raise NotFound(_("No such listing."))
        return listing

    @extend_schema(
        operation_id="listings_waitlist_list",
        tags=["shifts"],
        summary="A shift's waitlist: all of it for the employer who posted it, the caller's own entry otherwise",
        responses={200: WaitlistEntrySerializer(many=True), **problems(401, 404)},
    )
    def get(self, request, id: int):
        listing = self._listing(id)
        if listing.owner_id == request.user.pk:
            entries = list(waitlist.waitlist_of(listing))
        else:
            own = waitlist.waitlist_entry_for(listing=listing, worker=request.user)
            entries = [own] if own else []
        return Response(WaitlistEntrySerializer([_data(e) for e in entries], many=True).data)

    @extend_schema(
        operation_id="listings_waitlist_join",
        tags=["shifts"],
        summary="Join a full shift's waitlist",
        description="When a booking is cancelled, the first worker waiting is offered the place for the policy's "
        "minutes and books it with `POST /api/v1/orders/`. 409 `shift_not_full` (book it instead), "
        "`already_waiting`, `already_booked`, `shift_started`, `not_a_shift`; 403 `own_listing`.",
        request=None,
        responses={201: WaitlistEntrySerializer, **problems(401, 403, 404, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        entry = waitlist.waitlist_join(listing=self._listing(id), worker=request.user)
        return Response(WaitlistEntrySerializer(_data(entry)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="listings_waitlist_leave",
        tags=["shifts"],
        summary="Leave a shift's waitlist (an offer held passes to the next worker)",
        request=None,
        responses={204: None, **problems(401, 404)},
    )
    def delete(self, request, id: int):
        waitlist.waitlist_leave(listing=self._listing(id), worker=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
