"""Clock-driven sweeps of resolution requests: reminders before the window ends, and silence.

Like ``orders.jobs``: due rows in batches under ``select_for_update(skip_locked=True)``, each
ended by ``disputes.services.requests.requests_end_unanswered`` (the same code that ends a
request answered too late), effects written in bulk, commit, next batch; a rerun finds
nothing left to do. A person answering at the same moment holds the request's row lock, so
the sweep skips it and exactly one of the two happens.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext_noop

from core.batches import locked_batches
from core.i18n import Joined, Moment, Translatable
from core.jobs import SweepResult
from disputes.models import RequestState, RequestType, ResolutionRequest
from disputes.selectors.requests import request_recipient_id, requests_due_to_expire, waiting_on_time_away
from disputes.services.requests import requests_end_unanswered
from marketplace.notifications import notification_build, notifications_send
from orders.models import Policy
from orders.services import orders_lock_free

BATCH = 1000


def _waiting_on_someone_away(now) -> Q:
    """Requests sent to a provider who is away right now, since before their window ended: their clock is stopped."""
    return waiting_on_time_away(at=now)


# --- Reminders -------------------------------------------------------------------------------

REMINDER_TITLE = gettext_noop("Reminder: answer the request on order #%(id)s by %(at)s")
REMINDER_BODIES = {
    RequestType.CANCEL: Translatable(gettext_noop("Without an answer, the order is cancelled on the proposed terms.")),
    RequestType.EXTEND_DELIVERY: Translatable(gettext_noop("Without an answer, the new due date is accepted.")),
    RequestType.REQUEST_UPDATE: Translatable(
        gettext_noop("Without an answer, the request counts against your responsiveness.")
    ),
    RequestType.CHANGE_TERMS: Translatable(gettext_noop("Without an answer, the shift keeps its hours and pay.")),
}


def remind_requests() -> SweepResult:
    """Remind the party who must answer, once, the policy's hours before the window ends."""
    done = 0
    for policy in Policy.objects.filter(request_reminder_hours__gt=0):

        def due(now, policy=policy):
            return (
                ResolutionRequest.objects.filter(
                    order__policy=policy,
                    state=RequestState.OPEN,
                    reminder_sent_at__isnull=True,
                    respond_by__gt=now,
                    respond_by__lte=now + timedelta(hours=policy.request_reminder_hours),
                )
                .exclude(_waiting_on_someone_away(now))
                .select_related("order")
            )

        for batch in locked_batches(due, size=BATCH, order_by=("respond_by", "pk")):
            now = batch.now
            notices = [
                notification_build(
                    user_id=request_recipient_id(r, r.order),
                    kind="request_reminder",
                    title=Translatable(REMINDER_TITLE, {"id": r.order_id, "at": Moment(r.respond_by)}),
                    body=Joined("\n\n", [r.message, REMINDER_BODIES[r.type]]),
                    order_id=r.order_id,
                    at=now,
                )
                for r in batch
            ]
            ResolutionRequest.objects.filter(pk__in=[r.pk for r in batch]).update(reminder_sent_at=now, updated_at=now)
            notifications_send(notices)
            done += len(batch)
    return SweepResult(processed=done)


# --- Silence -----------------------------------------------------------------------------------


def expire_requests() -> SweepResult:
    """End requests whose window passed unanswered: cancel and extension requests are accepted
    automatically (the order is cancelled with the proposed split, or its due date moves); an
    update request expires and counts against the provider's responsiveness."""
    policies = {p.pk: p for p in Policy.objects.prefetch_related("rules")}
    accepted = expired = 0

    def due(now):
        return requests_due_to_expire(now=now)

    for batch in locked_batches(due, size=BATCH, order_by=("respond_by", "pk")):
        # Requests first, then their orders: the same order as a person's answer takes them.
        orders = orders_lock_free(order_ids=[r.order_id for r in batch])
        for order in orders.values():
            order.policy = policies[order.policy_id]  # one shared instance per policy: rules load once
        a, e = requests_end_unanswered(requests=batch, orders=orders, now=batch.now)
        batch.handled = a + e  # none: everything left is waiting on a busy order
        accepted += a
        expired += e
    detail = f"{accepted} accepted automatically, {expired} expired" if accepted + expired else ""
    return SweepResult(processed=accepted + expired, detail=detail)
