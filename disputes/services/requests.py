"""Resolution requests: the only code that writes them.

A party opens a request on an open order (cancel it, extend the delivery, send an update);
the other party accepts or declines it (an update request is answered with a message)
within the policy's window, and the author may withdraw it while it is open. Every change
locks the request (and the order where the order changes), re-checks the state, calls the
pure transition, saves, logs it, and tells the other party in the app and by e-mail.

Silence ends a request through ``requests_end_unanswered``: the expiry sweep in
``disputes.jobs.requests`` calls it, and so does an answer sent after the window closed,
which is refused (``request_expired``) once that automatic outcome is committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core.audit import transition_logged, transition_logs_write
from core.batches import transitions_apply
from core.exceptions import Conflict, NotFound, PermissionDenied
from core.i18n import Joined, Moment, Text, Translatable
from core.models import ActorRole
from core.text import invalid, text_clean
from core.timeutils import when_text
from disputes.models import AwayPeriod, RequestState, RequestType, Resolution, ResolutionRequest
from disputes.selectors.requests import (
    announced_period,
    paused_periods_for,
    request_can_escalate,
    request_recipient_id,
    requests_due_to_expire,
)
from disputes.windows import window_end
from marketplace.models import User
from marketplace.notifications import notification_build, notifications_send, notify
from orders.cancellation import (
    CancelItem,
    attach_charge_payments,
    cancellation_decide,
    cancellations_execute,
    order_cancel_mutual,
)
from orders.models import OPEN_STATES, PERSON_REASONS, Order, OrderState
from orders.selectors import order_extension_limit
from orders.services import order_extend_delivery, order_lock
from orders.terms import Terms, order_change_terms, order_terms_declined, terms_answer_by, terms_check

MESSAGE_MAX = 5000
HUNDRED = Decimal(100)
# Changed terms must leave the worker time to answer before the shift starts.
TERMS_MIN_ANSWER = timedelta(hours=1)


# --- Helpers ---------------------------------------------------------------------------------


def request_respond_by(*, order: Order, recipient_id: int, at: datetime, now: datetime | None = None) -> datetime:
    """The end of the answer window opened at ``at`` under the order's policy, as known at ``now``.

    Hours of the policy, counted in business days if it says so, and paused for the time
    away the provider announced when the request is sent to them.
    """
    policy = order.policy
    paused = (
        paused_periods_for(user_id=recipient_id, since=at, now=now or at) if recipient_id == order.provider_id else []
    )
    return window_end(
        at,
        timedelta(hours=policy.request_window_hours),
        business_days=policy.windows_in_business_days,
        paused=paused,
        tz=timezone.get_default_timezone(),
    )


def proposed_terms(resolution_request: ResolutionRequest) -> Terms:
    """The hours and pay a ``change_terms`` request proposes."""
    r = resolution_request
    return Terms(starts_at=r.new_starts_at, ends_at=r.new_ends_at, price=r.new_price)


def _respond_by_for(resolution_request: ResolutionRequest, *, recipient_id: int, now: datetime) -> datetime:
    """The request's window; changed terms are answered before the shift they change starts (or, under way, ends)."""
    r = resolution_request
    respond_by = request_respond_by(order=r.order, recipient_id=recipient_id, at=r.created_at, now=now)
    if r.type == RequestType.CHANGE_TERMS:
        respond_by = min(respond_by, terms_answer_by(r.order, proposed_terms(r)))
    return respond_by


def request_lock(*, request_id: int) -> ResolutionRequest:
    """Re-read the request under a row lock; call inside a transaction."""
    try:
        return (
            ResolutionRequest.objects.select_for_update(of=("self",)).select_related("order__policy").get(pk=request_id)
        )
    except ResolutionRequest.DoesNotExist:
        raise NotFound(_("No such request.")) from None


def _party_role(order: Order, actor: User) -> str:
    role = order.role_of(actor)
    if role is None:
        raise NotFound(_("No such request."))
    return role


def _require_open(resolution_request: ResolutionRequest) -> None:
    if resolution_request.state != RequestState.OPEN:
        raise Conflict(
            _("This request is no longer open: it was %(state)s.") % {"state": resolution_request.get_state_display()},
            code="request_not_open",
            extra={"state": resolution_request.state},
        )


# How silence ends a request; an answer to one ended so is refused as too late.
SILENCE = (Resolution.AUTO_ACCEPTED, Resolution.AUTO_EXPIRED)


def _too_late(resolution_request: ResolutionRequest) -> Conflict:
    """The refusal of an answer sent after the window: it says what silence decided instead."""
    r = resolution_request
    if r.resolution == Resolution.AUTO_ACCEPTED and r.type == RequestType.CANCEL:
        text = _(
            "The time to answer ended at %(at)s, so the request was accepted automatically: the order is "
            "cancelled on the proposed terms."
        )
    elif r.resolution == Resolution.AUTO_ACCEPTED:
        text = _(
            "The time to answer ended at %(at)s, so the request was accepted automatically: the new due date applies."
        )
    elif r.type == RequestType.REQUEST_UPDATE:
        text = _(
            "The time to answer ended at %(at)s: the request expired unanswered and counts against your responsiveness."
        )
    else:
        text = _("The time to answer ended at %(at)s: the request expired and nothing was changed.")
    return Conflict(
        text % {"at": when_text(r.respond_by)},
        code="request_expired",
        extra={"state": r.state, "resolution": r.resolution},
    )


def _require_open_to_answer(resolution_request: ResolutionRequest) -> None:
    """Refuse an answer to a closed request; to one that silence ended, as too late."""
    if resolution_request.state != RequestState.OPEN and resolution_request.resolution in SILENCE:
        raise _too_late(resolution_request)
    _require_open(resolution_request)


def _silence_decides(resolution_request: ResolutionRequest, now: datetime) -> bool:
    """If the window of the locked request has closed at ``now``, end it as the expiry sweep would; say so.

    A request on hold (the provider it waits on is away with no return date) has not closed.
    """
    if resolution_request.respond_by > now:
        return False
    if not requests_due_to_expire(now=now).filter(pk=resolution_request.pk).exists():
        return False
    order = order_lock(order_id=resolution_request.order_id)
    requests_end_unanswered(requests=[resolution_request], orders={order.pk: order}, now=now)
    return True


def _answered_in_time(resolution_request: ResolutionRequest) -> ResolutionRequest:
    """An answer's request; raise ``request_expired`` when silence decided it instead (already committed)."""
    if resolution_request.resolution in SILENCE:
        raise _too_late(resolution_request)
    return resolution_request


def request_type_label(type_: str) -> str:
    return str(RequestType(type_).label)


# --- Opening ---------------------------------------------------------------------------------


def _validate_terms(
    order: Order, role: str, type_: str, *, reason: str, refund_percent, new_due_at, now: datetime
) -> tuple[str, Decimal | None, datetime | None]:
    if type_ == RequestType.CANCEL:
        if reason not in dict(PERSON_REASONS):
            raise invalid(
                "reason",
                _("Choose a reason: %(list)s.") % {"list": ", ".join(code for code, _label in PERSON_REASONS)},
            )
        try:
            percent = Decimal(str(refund_percent))
        except (InvalidOperation, ValueError, TypeError):
            percent = None
        if percent is None or not percent.is_finite() or not Decimal(0) <= percent <= HUNDRED:
            raise invalid("refund_percent", _("Propose a refund to the client between 0 and 100 %."))
        if percent != percent.quantize(Decimal("0.01")):
            raise invalid("refund_percent", _("At most two decimals."))
        return reason, percent, None
    if type_ == RequestType.EXTEND_DELIVERY:
        if not order.is_service or order.state not in (OrderState.IN_PROGRESS, OrderState.LATE):
            raise Conflict(
                _("Only a service order in progress (or late) has a delivery date to extend."),
                code="invalid_transition",
                extra={"state": order.state},
            )
        if new_due_at is None:
            raise invalid("new_due_at", _("Choose the new due date."))
        if timezone.is_naive(new_due_at):
            new_due_at = timezone.make_aware(new_due_at)
        if new_due_at <= order.due_at:
            raise invalid(
                "new_due_at",
                _("The new due date must come after the current one (%(due)s).") % {"due": when_text(order.due_at)},
            )
        latest = order_extension_limit(order)
        if new_due_at > latest:
            raise invalid(
                "new_due_at",
                _("An extension moves the due date by at most %(days)d days: choose a date by %(latest)s.")
                % {"days": order.policy.max_extension_days, "latest": when_text(latest)},
            )
        if new_due_at <= now:
            raise invalid("new_due_at", _("The new due date must be in the future."))
        return "", None, new_due_at
    if type_ == RequestType.CHANGE_TERMS:
        if role != "client":
            raise PermissionDenied(
                _("Only the employer can propose changed hours or pay; you may decline or cancel."),
                code="wrong_party",
            )
        return "", None, None
    # An update is asked of the provider; only the client asks for one.
    if role != "client":
        raise PermissionDenied(_("Only the client can ask the provider for an update."), code="wrong_party")
    return "", None, None


@transaction.atomic
def request_open(
    *,
    order: Order,
    actor: User,
    type: str,  # the field's name in the API contract
    message: str,
    reason: str = "",
    refund_percent=None,
    new_due_at: datetime | None = None,
    new_starts_at: datetime | None = None,
    new_ends_at: datetime | None = None,
    new_price=None,
) -> ResolutionRequest:
    """Ask the other party to cancel, extend the delivery, send an update or (the employer of a
    shift) agree to changed hours or pay; they have the policy's window (changed terms: until
    the shift starts, at the latest)."""
    if type not in RequestType.values:
        raise invalid("type", _("Choose cancel, extend_delivery, request_update or change_terms."))
    message = text_clean(
        message, field="message", limit=MESSAGE_MAX, required_message=_("Write a message to the other party.")
    )
    order = order_lock(order_id=order.pk)
    role = _party_role(order, actor)
    if order.state not in OPEN_STATES:
        raise Conflict(
            _("This order is %(state)s: requests are only for open orders.") % {"state": order.get_state_display()},
            code="order_closed",
            extra={"state": order.state},
        )
    now = timezone.now()
    reason, refund_percent, new_due_at = _validate_terms(
        order, role, type, reason=reason, refund_percent=refund_percent, new_due_at=new_due_at, now=now
    )
    proposed = None
    if type == RequestType.CHANGE_TERMS:
        proposed = terms_check(order=order, starts_at=new_starts_at, ends_at=new_ends_at, price=new_price, now=now)
    already = _("A request is already open on this order: wait for its answer or withdraw yours first.")
    if ResolutionRequest.objects.filter(order=order, state=RequestState.OPEN).exists():
        raise Conflict(already, code="request_already_open")
    recipient_id = order.provider_id if role == "client" else order.client_id
    resolution_request = ResolutionRequest(
        order=order,
        author=actor,
        author_role=role,
        type=type,
        reason=reason,
        message=message,
        refund_percent=refund_percent,
        new_due_at=new_due_at,
        respond_by=now,
        created_at=now,
    )
    if proposed is not None:
        resolution_request.old_starts_at = order.starts_at
        resolution_request.old_ends_at = order.ends_at
        resolution_request.old_price = order.price
        resolution_request.new_starts_at = proposed.starts_at
        resolution_request.new_ends_at = proposed.ends_at
        resolution_request.new_price = proposed.price
    resolution_request.respond_by = _respond_by_for(resolution_request, recipient_id=recipient_id, now=now)
    if proposed is not None and resolution_request.respond_by < now + TERMS_MIN_ANSWER:
        raise Conflict(
            _(
                "The shift starts too soon for the worker to answer changed terms: talk to them in the order's "
                "messages, or cancel under your cancellation terms."
            ),
            code="too_late_to_change",
        )
    try:
        # The database decides between two requests made at the same moment (one_open_request_per_order).
        with transaction.atomic():
            resolution_request.save()
    except IntegrityError:
        raise Conflict(already, code="request_already_open") from None
    transition_logged(
        resolution_request,
        transition="open",
        from_state="",
        actor=actor,
        actor_role=role,
        reason=request_type_label(type),
        at=resolution_request.resolved_at,
    )
    title = Translatable(
        {
            RequestType.CANCEL: gettext_noop("%(name)s asks to cancel order #%(id)s"),
            RequestType.EXTEND_DELIVERY: gettext_noop("%(name)s asks to extend the delivery of order #%(id)s"),
            RequestType.REQUEST_UPDATE: gettext_noop("%(name)s asks for an update on order #%(id)s"),
            RequestType.CHANGE_TERMS: gettext_noop("%(name)s proposes new hours or pay for order #%(id)s"),
        }[type],
        {"name": actor.public_name, "id": order.pk},
    )
    lines: list[Text] = [message]
    if type == RequestType.CANCEL:
        lines.append(
            Translatable(gettext_noop("Proposed refund to the client: %(percent)s %%."), {"percent": refund_percent})
        )
    elif type == RequestType.EXTEND_DELIVERY:
        lines.append(Translatable(gettext_noop("Proposed new due date: %(at)s."), {"at": Moment(new_due_at)}))
    elif type == RequestType.CHANGE_TERMS:
        lines.append(
            Translatable(
                gettext_noop(
                    "Now: %(starts)s to %(ends)s for %(price)s %(currency)s. Proposed: %(new_starts)s to "
                    "%(new_ends)s for %(new_price)s %(currency)s."
                ),
                {
                    "starts": Moment(order.starts_at),
                    "ends": Moment(order.ends_at),
                    "price": str(order.price),
                    "new_starts": Moment(proposed.starts_at),
                    "new_ends": Moment(proposed.ends_at),
                    "new_price": str(proposed.price),
                    "currency": order.currency,
                },
            )
        )
    if type == RequestType.REQUEST_UPDATE:
        lines.append(
            Translatable(
                gettext_noop(
                    "Answer with a message by %(at)s; an unanswered request counts against your responsiveness."
                ),
                {"at": Moment(resolution_request.respond_by)},
            )
        )
    elif type == RequestType.CHANGE_TERMS:
        lines.append(
            Translatable(
                gettext_noop(
                    "Accept or decline by %(at)s; without an answer nothing changes. The request shows what each "
                    "answer means for you."
                ),
                {"at": Moment(resolution_request.respond_by)},
            )
        )
    else:
        lines.append(
            Translatable(
                gettext_noop("Accept or decline by %(at)s; without an answer it is accepted automatically."),
                {"at": Moment(resolution_request.respond_by)},
            )
        )
    notify(users=[recipient_id], kind="request_opened", title=title, body=Joined("\n\n", lines), order=order)
    return resolution_request


# --- Answering -------------------------------------------------------------------------------


def _answering_role(resolution_request: ResolutionRequest, actor: User, action: str) -> str:
    role = _party_role(resolution_request.order, actor)
    if role == resolution_request.author_role:
        raise PermissionDenied(
            _("Only the other party can %(action)s this request; you may withdraw it.") % {"action": action},
            code="wrong_party",
        )
    return role


def _refuse_update(resolution_request: ResolutionRequest) -> None:
    if resolution_request.type == RequestType.REQUEST_UPDATE:
        raise Conflict(
            _("An update request is answered with a message, not accepted or declined."),
            code="answer_with_respond",
        )


def request_accept(*, resolution_request: ResolutionRequest, actor: User, message: str = "") -> ResolutionRequest:
    """The other party agrees: the order is cancelled with the proposed split, or its due date moves.

    After the window the answer is refused (``request_expired``) once the outcome silence
    brings, the expiry sweep's, is committed.
    """
    return _answered_in_time(_accept(resolution_request=resolution_request, actor=actor, message=message))


@transaction.atomic
def _accept(*, resolution_request: ResolutionRequest, actor: User, message: str) -> ResolutionRequest:
    message = text_clean(message, field="message", limit=MESSAGE_MAX)
    resolution_request = request_lock(request_id=resolution_request.pk)
    role = _answering_role(resolution_request, actor, _("accept"))
    _refuse_update(resolution_request)
    _require_open_to_answer(resolution_request)
    now = timezone.now()
    if _silence_decides(resolution_request, now):
        return resolution_request
    order = order_lock(order_id=resolution_request.order_id)
    if resolution_request.type == RequestType.CANCEL:
        # The cancellation engine decides and carries out the agreed split (it re-checks the order).
        order_cancel_mutual(
            order=order,
            accepted_by=actor,
            refund_percent=resolution_request.refund_percent,
            reason=resolution_request.reason,
            message=resolution_request.message,
        )
    elif resolution_request.type == RequestType.CHANGE_TERMS:
        order_change_terms(order=order, proposed=proposed_terms(resolution_request), actor=actor)
    else:
        order_extend_delivery(
            extensions=[(order, resolution_request.new_due_at)],
            actor=actor,
            actor_role=role,
            reason=Translatable(
                gettext_noop("Extension agreed: due %(at)s"), {"at": Moment(resolution_request.new_due_at)}
            ),
            at=now,
        )
    resolution_request.accept(by=actor, message=message, at=now)
    resolution_request.save()
    transition_logged(
        resolution_request,
        transition="accept",
        from_state=RequestState.OPEN,
        actor=actor,
        actor_role=role,
        reason=message,
        at=resolution_request.resolved_at,
    )
    title = Translatable(
        {
            RequestType.CANCEL: gettext_noop("%(name)s accepted your request to cancel order #%(id)s"),
            RequestType.EXTEND_DELIVERY: gettext_noop("%(name)s accepted your extension of order #%(id)s"),
            RequestType.CHANGE_TERMS: gettext_noop("%(name)s accepted the new hours and pay of order #%(id)s"),
        }[resolution_request.type],
        {"name": actor.public_name, "id": order.pk},
    )
    notify(users=[resolution_request.author_id], kind="request_accepted", title=title, body=message, order=order)
    return resolution_request


def request_decline(*, resolution_request: ResolutionRequest, actor: User, message: str) -> ResolutionRequest:
    """The other party says no, and why; nothing else changes (the request can go to support).

    After the window the answer is refused (``request_expired``) once the outcome silence
    brings, the expiry sweep's, is committed.
    """
    return _answered_in_time(_decline(resolution_request=resolution_request, actor=actor, message=message))


@transaction.atomic
def _decline(*, resolution_request: ResolutionRequest, actor: User, message: str) -> ResolutionRequest:
    message = text_clean(message, field="message", limit=MESSAGE_MAX, required_message=_("Say why you decline."))
    resolution_request = request_lock(request_id=resolution_request.pk)
    role = _answering_role(resolution_request, actor, _("decline"))
    _refuse_update(resolution_request)
    _require_open_to_answer(resolution_request)
    now = timezone.now()
    if _silence_decides(resolution_request, now):
        return resolution_request
    if resolution_request.type == RequestType.CHANGE_TERMS:
        order_terms_declined(order=order_lock(order_id=resolution_request.order_id), actor=actor)
    resolution_request.decline(by=actor, message=message, at=now)
    resolution_request.save()
    transition_logged(
        resolution_request,
        transition="decline",
        from_state=RequestState.OPEN,
        actor=actor,
        actor_role=role,
        reason=message,
        at=resolution_request.resolved_at,
    )
    order = resolution_request.order
    title = Translatable(
        gettext_noop("%(name)s declined your request on order #%(id)s"), {"name": actor.public_name, "id": order.pk}
    )
    if resolution_request.type == RequestType.CHANGE_TERMS:
        after = Translatable(
            gettext_noop(
                "The booking stays as it was. %(name)s may now leave the shift free of any consequence; if you "
                "cancel it, your own cancellation terms apply."
            ),
            {"name": actor.public_name},
        )
    else:
        after = Translatable(gettext_noop("If you cannot agree, you can take it to support from the order page."))
    body = Joined("\n\n", [message, after])
    notify(users=[resolution_request.author_id], kind="request_declined", title=title, body=body, order=order)
    return resolution_request


def request_respond(*, resolution_request: ResolutionRequest, actor: User, message: str) -> ResolutionRequest:
    """The provider answers an update request with a message.

    After the window the answer is refused (``request_expired``) once the request has expired,
    counting against the provider's responsiveness, as the expiry sweep would have it.
    """
    return _answered_in_time(_respond(resolution_request=resolution_request, actor=actor, message=message))


@transaction.atomic
def _respond(*, resolution_request: ResolutionRequest, actor: User, message: str) -> ResolutionRequest:
    message = text_clean(message, field="message", limit=MESSAGE_MAX, required_message=_("Write your update."))
    resolution_request = request_lock(request_id=resolution_request.pk)
    role = _answering_role(resolution_request, actor, _("answer"))
    if resolution_request.type != RequestType.REQUEST_UPDATE:
        raise Conflict(_("Accept or decline this request; only update requests take an answer."), code="use_accept")
    _require_open_to_answer(resolution_request)
    now = timezone.now()
    if _silence_decides(resolution_request, now):
        return resolution_request
    resolution_request.accept(by=actor, message=message, at=now)
    resolution_request.save()
    transition_logged(
        resolution_request,
        transition="respond",
        from_state=RequestState.OPEN,
        actor=actor,
        actor_role=role,
        reason=message,
        at=resolution_request.resolved_at,
    )
    order = resolution_request.order
    title = Translatable(
        gettext_noop("%(name)s sent the update you asked for on order #%(id)s"),
        {"name": actor.public_name, "id": order.pk},
    )
    notify(users=[resolution_request.author_id], kind="request_answered", title=title, body=message, order=order)
    return resolution_request


@transaction.atomic
def request_withdraw(*, resolution_request: ResolutionRequest, actor: User) -> ResolutionRequest:
    """The author takes the request back while it is open."""
    resolution_request = request_lock(request_id=resolution_request.pk)
    role = _party_role(resolution_request.order, actor)
    if resolution_request.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can withdraw this request."), code="wrong_party")
    _require_open(resolution_request)
    resolution_request.withdraw(at=timezone.now())
    resolution_request.save()
    transition_logged(
        resolution_request,
        transition="withdraw",
        from_state=RequestState.OPEN,
        actor=actor,
        actor_role=role,
        reason="",
        at=resolution_request.resolved_at,
    )
    order = resolution_request.order
    title = Translatable(
        gettext_noop("%(name)s withdrew their request on order #%(id)s"), {"name": actor.public_name, "id": order.pk}
    )
    notify(users=[request_recipient_id(resolution_request, order)], kind="request_withdrawn", title=title, order=order)
    return resolution_request


# --- Silence ---------------------------------------------------------------------------------


def requests_end_unanswered(
    *, requests: Sequence[ResolutionRequest], orders: dict[int, Order], now: datetime
) -> tuple[int, int]:
    """End requests whose window passed unanswered, as the rules promise; returns (accepted, expired).

    Cancel and extension requests are accepted automatically (the order is cancelled with the
    proposed split, or its due date moves); an update request expires and counts against the
    provider's responsiveness; a request its order can no longer follow expires. Call inside a
    transaction with the requests and their ``orders`` (by id) locked; a request whose order is
    missing from ``orders`` (busy) is left open. The expiry sweep calls it for each batch, and
    an answer that comes too late for its one request (``_silence_decides``); effects are
    written in bulk either way.
    """
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
    terms_body = Translatable(gettext_noop("No answer came in time, so the shift keeps its hours and pay."))
    too_far_body = gettext_noop(
        "The proposed due date lies more than %(days)s days past the current one, further than the rules let "
        "an extension go, so nothing was changed."
    )

    for r in requests:
        order = orders.get(r.order_id)
        if order is None:
            continue  # its order is busy (a person acting on it): the next run takes it
        body = ""
        if r.type == RequestType.CANCEL:
            decision = cancellation_decide(
                order=order,
                actor_role="mutual",
                now=now,
                refund_percent=r.refund_percent,
                asked_by=r.author_role,
                reason=r.reason,
            )
            if decision.allowed:
                message = f"{auto_reason}. {r.message}"
                cancel_items.append(CancelItem(order, decision, None, ActorRole.SYSTEM, r.reason, message))
                body = Translatable(cancelled_body, {"p": r.refund_percent})
        elif r.type == RequestType.EXTEND_DELIVERY and can_proceed(order.extend_delivery):
            if r.new_due_at <= order_extension_limit(order):
                extended.append((order, r.new_due_at))
                body = Translatable(extended_body, {"at": Moment(r.new_due_at)})
            else:  # asked before extensions were bounded: silence cannot agree to it
                moot[r.pk] = Translatable(too_far_body, {"days": order.policy.max_extension_days})
        if body:
            accepted.append(r)
            title, kind = accepted_title, "request_auto_accepted"
        else:
            expired.append(r)
            body = {RequestType.REQUEST_UPDATE: update_body, RequestType.CHANGE_TERMS: terms_body}.get(
                r.type, moot.get(r.pk, moot_body)
            )
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
        reason=lambda r: moot_reason if r.type in (RequestType.CANCEL, RequestType.EXTEND_DELIVERY) else expired_reason,
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


# --- Announced time away ---------------------------------------------------------------------


def _record_time_away(provider: User, now: datetime) -> None:
    """Keep what elapsed of earlier announcements, drop what they planned, add the one in force."""
    live = (
        AwayPeriod.objects.select_for_update()
        .filter(user=provider)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )
    for period in live:
        if period.starts_at >= now:
            period.delete()
        else:
            period.ends_at = now
            period.save(update_fields=("ends_at",))
    current = announced_period(user_id=provider.pk, now=now)
    if current is not None:
        AwayPeriod.objects.create(user=provider, starts_at=current[0], ends_at=current[1], recorded_at=now)


@transaction.atomic
def requests_reschedule_for_provider(*, provider: User, now: datetime | None = None) -> int:
    """Re-count the answer windows of open requests sent to ``provider`` after their availability changed.

    ``marketplace.services`` calls it whenever a user announces, changes or withdraws time
    away. The time away is recorded, and every open request a client sent them gets the
    ``respond_by`` its window now has: later by the paused time, or earlier again when they
    came back before the announced date. A reminder already sent is sent again when the new
    end is further away than the policy's reminder hours; the author is told. Returns how
    many requests moved.
    """
    now = now or timezone.now()
    _record_time_away(provider, now)
    open_requests = list(
        ResolutionRequest.objects.select_for_update(of=("self",))
        .filter(state=RequestState.OPEN, author_role="client", order__provider=provider)
        .select_related("order__policy")
        .order_by("pk")
    )
    moved = []
    for r in open_requests:
        respond_by = _respond_by_for(r, recipient_id=provider.pk, now=now)
        if respond_by == r.respond_by:
            continue
        r.respond_by = respond_by
        reminder = timedelta(hours=r.order.policy.request_reminder_hours)
        if r.reminder_sent_at is not None and respond_by - reminder > now:
            r.reminder_sent_at = None  # re-armed: the reminder sweep sends it again in time
        r.updated_at = now
        moved.append(r)
    if not moved:
        return 0
    ResolutionRequest.objects.bulk_update(moved, ("respond_by", "reminder_sent_at", "updated_at"))
    pause = announced_period(user_id=provider.pk, now=now)
    if pause is None:
        body_text = gettext_noop("%(name)s is available again, so the answer to your request is due by %(at)s.")
    elif pause[1] is None:
        body_text = gettext_noop(
            "%(name)s announced time away with no return date: the window to answer your request is paused "
            "while they are away and counted again when they return (by %(at)s if they returned now)."
        )
    else:
        body_text = gettext_noop(
            "%(name)s announced time away until %(until)s, which does not count in the window to answer your "
            "request: the answer is now due by %(at)s."
        )
    title_text = gettext_noop("The answer to your request on order #%(id)s is now due by %(at)s")
    notifications_send(
        [
            notification_build(
                user_id=r.author_id,
                kind="request_rescheduled",
                title=Translatable(title_text, {"id": r.order_id, "at": Moment(r.respond_by)}),
                body=Translatable(
                    body_text,
                    {
                        "name": provider.public_name,
                        "at": Moment(r.respond_by),
                        "until": Moment(pause[1]) if pause is not None and pause[1] is not None else "",
                    },
                ),
                order_id=r.order_id,
                at=now,
            )
            for r in moved
        ]
    )
    return len(moved)


# --- For support cases -------------------------------------------------------------------------


def request_escalation_check(*, resolution_request: ResolutionRequest, actor: User) -> None:
    """Raise unless ``actor`` may take this declined request to support (call with it locked).

    ``disputes.services.cases.case_open(escalated_from=...)`` calls it under
    ``request_lock``; the one-to-one ``SupportCase.escalated_from`` keeps it to one case.
    """
    _party_role(resolution_request.order, actor)
    if not request_can_escalate(resolution_request, actor):
        if resolution_request.state != RequestState.DECLINED:
            raise Conflict(_("Only a declined request can be taken to support."), code="request_not_declined")
        raise Conflict(_("This request is already with support."), code="already_escalated")
