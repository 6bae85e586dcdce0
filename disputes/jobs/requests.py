"""Clock-driven sweeps of resolution requests: reminders before the window ends, and silence.

Like ``orders.jobs``: due rows in batches under ``select_for_update(skip_locked=True)``, each
decided with the same engine a person's action uses, effects written in bulk, commit, next
batch; a rerun finds nothing left to do. A person answering at the same moment holds the
request's row lock, so the sweep skips it and exactly one of the two happens.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core.audit import transition_logs_write
from core.batches import locked_batches, transitions_apply
from core.i18n import Joined, Translatable
from core.jobs import SweepResult
from core.models import ActorRole
from core.timeutils import when_text
from disputes.models import RequestState, RequestType, Resolution, ResolutionRequest
from disputes.selectors.requests import request_recipient_id, waiting_on_time_away
from marketplace.notifications import notification_build, notifications_send
from orders.cancellation import CancelItem, attach_charge_payments, cancellation_decide, cancellations_execute
from orders.models import Order, Policy
from orders.selectors import order_extension_limit
from orders.services import order_extend_delivery, orders_lock_free

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
                    title=Translatable(REMINDER_TITLE, {"id": r.order_id, "at": when_text(r.respond_by)}),
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


def _expire_batch(batch: list[ResolutionRequest], orders: dict[int, Order], now) -> tuple[int, int]:
    """Auto-accept the cancel and extension requests of ``batch``, expire the rest; in bulk."""
    cancel_items, extended, accepted, expired = [], [], [], []
    moot: dict[int, Translatable] = {}
    order_logs, request_logs, notices = [], [], []
    auto_reason = _("Accepted automatically: no answer within the window")
    expired_reason = _("Expired: no answer within the window")
    moot_reason = _("Expired: the order can no longer be changed this way")
    # The notices are translated for each recipient when sent; the logs in the current language.
    accepted_title = gettext_noop("The request on order #%(id)s was accepted automatically")
    expired_title = gettext_noop("The request on order #%(id)s expired without an answer")
    extended_body = gettext_noop("No answer came in time, so the new due date %(at)s applies.")
    cancelled_body = gettext_noop(
        "No answer came in time, so the order is cancelled with the proposed refund of %(p)s %%."
    )
    update_body = Translatable(
        gettext_noop("The provider did not answer in time; this counts against their responsiveness.")
    )
    moot_body = Translatable(gettext_noop("The order moved on before the window ended, so nothing was changed."))
    too_far_body = gettext_noop(
        "The proposed due date lies more than %(days)s days past the current one, further than the rules let "
        "an extension go, so nothing was changed."
    )

    for r in batch:
        order = orders.get(r.order_id)
        if order is None:
            continue  # its order is busy (a person acting on it): the next run takes it
        body = ""
        if r.type == RequestType.CANCEL:
            decision = cancellation_decide(order=order, actor_role="mutual", now=now, refund_percent=r.refund_percent)
            if decision.allowed:
                message = f"{auto_reason}. {r.message}"
                cancel_items.append(CancelItem(order, decision, None, ActorRole.SYSTEM, r.reason, message))
                body = Translatable(cancelled_body, {"p": r.refund_percent})
        elif r.type == RequestType.EXTEND_DELIVERY and can_proceed(order.extend_delivery):
            if r.new_due_at <= order_extension_limit(order):
                extended.append((order, r.new_due_at))
                body = Translatable(extended_body, {"at": when_text(r.new_due_at)})
            else:  # asked before extensions were bounded: silence cannot agree to it
                moot[r.pk] = Translatable(too_far_body, {"days": order.policy.max_extension_days})
        if body:
            accepted.append(r)
            title, kind = accepted_title, "request_auto_accepted"
        else:
            expired.append(r)
            body = update_body if r.type == RequestType.REQUEST_UPDATE else moot.get(r.pk, moot_body)
            title, kind = expired_title, "request_expired"
        title = Translatable(title, {"id": order.pk})
        notices += [
            notification_build(user_id=uid, kind=kind, title=title, body=body, order_id=order.pk, at=now)
            for uid in (order.client_id, order.provider_id)
        ]

    transitions_apply(
        accepted,
        "accept",
        kwargs={"by": None, "message": "", "at": now, "resolution": Resolution.AUTO_ACCEPTED},
        at=now,
        actor_role=ActorRole.SYSTEM,
        reason=auto_reason,
        log_as="auto_accept",
        logs=request_logs,
    )
    transitions_apply(
        expired,
        "expire",
        kwargs={"at": now},
        at=now,
        actor_role=ActorRole.SYSTEM,
        reason=lambda r: expired_reason if r.type == RequestType.REQUEST_UPDATE else moot_reason,
        logs=request_logs,
    )
    attach_charge_payments([i.order for i in cancel_items])
    cancel_notices: list[dict] = []
    cancellations_execute(cancel_items, now=now, notices=cancel_notices)
    if extended:
        order_extend_delivery(
            extensions=extended,
            actor=None,
            actor_role=ActorRole.SYSTEM,
            reason=lambda order, new_due_at: f"{auto_reason}: {when_text(new_due_at)}",
            at=now,
            logs=order_logs,
        )
    transition_logs_write(order_logs + request_logs)
    notifications_send(cancel_notices + notices)  # one insert, one look-up of the recipients' languages
    return len(accepted), len(expired)


def expire_requests() -> SweepResult:
    """End requests whose window passed unanswered: cancel and extension requests are accepted
    automatically (the order is cancelled with the proposed split, or its due date moves); an
    update request expires and counts against the provider's responsiveness."""
    policies = {p.pk: p for p in Policy.objects.prefetch_related("rules")}
    accepted = expired = 0

    def due(now):
        return ResolutionRequest.objects.filter(state=RequestState.OPEN, respond_by__lte=now).exclude(
            _waiting_on_someone_away(now)
        )

    for batch in locked_batches(due, size=BATCH, order_by=("respond_by", "pk")):
        # Requests first, then their orders: the same order as a person's answer takes them.
        orders = orders_lock_free(order_ids=[r.order_id for r in batch])
        for order in orders.values():
            order.policy = policies[order.policy_id]  # one shared instance per policy: rules load once
        a, e = _expire_batch(batch, orders, batch.now)
        batch.handled = a + e  # none: everything left is waiting on a busy order
        accepted += a
        expired += e
    detail = f"{accepted} accepted automatically, {expired} expired" if accepted + expired else ""
    return SweepResult(processed=accepted + expired, detail=detail)
