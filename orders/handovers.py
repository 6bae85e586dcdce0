"""Handing a booked shift to another worker (PRODUCT.md: "A booked worker who cannot come can
hand the shift to another eligible worker; once that worker accepts before the start, the first
leaves with no penalty").

The booked worker offers the shift to a worker they name, or to anyone eligible (the workers on
the shift's waitlist are told, and the shift's page shows the offer). Until someone accepts, the
first worker is still booked, with every duty and term of the booking. The one who accepts must
be able to book the shift themselves (not blocked with the employer, allowed to take orders, the
listing's score, early access, no overlapping shift of their own); the booking then passes to
them as it is (its escrow, pay and terms: the employer pays nothing more), the first worker
leaves with nothing counted, and the employer is told who comes. An offer nobody takes ends at
the start (``handovers_expire``, from beat).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.batches import locked_batches
from core.exceptions import Conflict, NotFound, PermissionDenied
from core.i18n import Moment, Translatable
from core.jobs import SweepResult
from core.models import ActorRole
from core.text import invalid, text_clean
from marketplace.models import Listing, User
from marketplace.notifications import notification_build, notifications_send
from marketplace.services import require_not_blocked

from .models import Handover, HandoverState, Order, OrderState, WaitlistEntry, WaitlistState
from .services import order_lock, require_can_work_shift, shift_clash_for
from .waitlist import waitlist_offer_taken

MESSAGE_MAX = 2000
BATCH = 500


# --- Reads -------------------------------------------------------------------------------------


def handover_open_for_order(order: Order) -> Handover | None:
    return Handover.objects.filter(order=order, state=HandoverState.OFFERED).select_related("to_worker").first()


def _visible_to(user: User) -> Q:
    """Handovers ``user`` may see: their own, ones made to them or open to anyone, and their shifts'."""
    return (
        Q(from_worker=user)
        | Q(to_worker=user)
        | Q(taken_by=user)
        | Q(order__client=user)
        | Q(state=HandoverState.OFFERED, to_worker__isnull=True)
    )


def handover_get(*, pk, user: User) -> Handover:
    try:
        return (
            Handover.objects.filter(_visible_to(user))
            .select_related("order__listing", "from_worker", "to_worker", "taken_by")
            .get(pk=pk)
        )
    except (Handover.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such handover.")) from None


def handovers_for(user: User) -> QuerySet[Handover]:
    """The handovers ``user`` is part of, or may take (offered to them, or open to anyone), newest first."""
    return (
        Handover.objects.filter(_visible_to(user))
        .select_related("order", "from_worker", "to_worker", "taken_by")
        .order_by("-created_at", "-id")
    )


def handovers_open_on_listing(*, listing: Listing, viewer: User) -> list[Handover]:
    """Open handovers of a shift ``viewer`` might take: to them or to anyone, not their own."""
    return list(
        Handover.objects.filter(
            Q(to_worker__isnull=True) | Q(to_worker=viewer),
            order__listing=listing,
            state=HandoverState.OFFERED,
            expires_at__gt=timezone.now(),
        )
        .exclude(from_worker=viewer)
        .select_related("from_worker")
        .order_by("created_at", "pk")
    )


def handover_actions_for(handover: Handover, user: User) -> list[str]:
    """What ``user`` may do with the handover now (the service has the last word)."""
    if handover.state != HandoverState.OFFERED or handover.expires_at <= timezone.now():
        return []
    if user.pk == handover.from_worker_id:
        return ["withdraw"]
    if user.pk == handover.order.client_id:
        return []
    if handover.to_worker_id in (None, user.pk):
        return ["accept"]
    return []


# --- Offering ------------------------------------------------------------------------------------


@transaction.atomic
def handover_offer(*, order: Order, actor: User, to: str = "", message: str = "") -> Handover:
    """The booked worker offers their shift to ``to`` (a username) or, left empty, to anyone eligible."""
    message = text_clean(message, field="message", limit=MESSAGE_MAX)
    order = order_lock(order_id=order.pk)
    if actor.pk != order.provider_id:
        if order.role_of(actor) is None:
            raise NotFound(_("No such order."))
        raise PermissionDenied(_("Only the booked worker can hand the shift over."), code="wrong_party")
    now = timezone.now()
    if not order.is_shift or order.state != OrderState.BOOKED:
        raise Conflict(
            _("Only a booked shift that has not started can be handed over."),
            code="invalid_transition",
            extra={"state": order.state},
        )
    if order.starts_at <= now:
        raise Conflict(_("This shift has already started."), code="shift_started")
    target = None
    to = (to or "").strip()
    if to:
        target = User.objects.filter(username__iexact=to, is_active=True).first()
        if target is None:
            raise invalid("to", _("No worker has that username."))
        if target.pk == actor.pk:
            raise invalid("to", _("Name another worker, or leave it empty to offer the shift to anyone."))
        if target.pk == order.client_id:
            raise invalid("to", _("The employer cannot take over their own shift."))
    handover = Handover(
        order=order, from_worker=actor, to_worker=target, message=message, created_at=now, expires_at=order.starts_at
    )
    try:
        with transaction.atomic():
            handover.save()
    except IntegrityError:
        raise Conflict(
            _("You are already handing this shift over: withdraw that offer first."), code="handover_already_open"
        ) from None
    transition_logged(
        order,
        transition="offer_handover",
        from_state=order.state,
        actor=actor,
        actor_role=ActorRole.PROVIDER,
        reason=Translatable(gettext_noop("Handover offered: still booked until another worker accepts")),
        at=now,
    )
    _notify_offer(handover, order, now)
    return handover


def _notify_offer(handover: Handover, order: Order, now: datetime) -> None:
    url = reverse("handover_detail", args=[handover.pk])
    shift = {"title": order.title, "at": Moment(order.starts_at), "place": order.location, "url": url}
    if handover.to_worker_id is not None:
        takers = [handover.to_worker_id]
    else:
        takers = list(
            WaitlistEntry.objects.filter(
                listing_id=order.listing_id, state__in=(WaitlistState.WAITING, WaitlistState.OFFERED)
            ).values_list("worker_id", flat=True)
        )
    rows = [
        notification_build(
            user_id=uid,
            kind="handover_offered",
            title=Translatable(
                gettext_noop("%(name)s offers you the shift “%(title)s”"),
                {"name": handover.from_worker.public_name, **shift},
            ),
            body=Translatable(
                gettext_noop("It starts %(at)s at %(place)s. Take it over on %(url)s before then: it becomes yours."),
                shift,
            ),
            at=now,
        )
        for uid in takers
        if uid != handover.from_worker_id
    ]
    rows.append(
        notification_build(
            user_id=order.client_id,
            kind="handover_offered",
            title=Translatable(
                gettext_noop("%(name)s is looking for another worker for “%(title)s”"),
                {"name": handover.from_worker.public_name, **shift},
            ),
            body=Translatable(
                gettext_noop(
                    "Until another worker accepts, %(name)s is still booked. You are told as soon as someone takes it."
                ),
                {"name": handover.from_worker.public_name},
            ),
            order_id=order.pk,
            at=now,
        )
    )
    notifications_send(rows)


# --- Withdrawing -----------------------------------------------------------------------------------


def _handover_lock(pk: int) -> Handover:
    try:
        return Handover.objects.select_for_update().get(pk=pk)
    except Handover.DoesNotExist:
        raise NotFound(_("No such handover.")) from None


def _require_offered(handover: Handover, now: datetime) -> None:
    if handover.state != HandoverState.OFFERED:
        raise Conflict(
            _("This handover is no longer open: it was %(state)s.") % {"state": handover.get_state_display()},
            code="handover_not_open",
            extra={"state": handover.state},
        )
    if handover.expires_at <= now:
        raise Conflict(_("This shift has already started."), code="shift_started")


@transaction.atomic
def handover_withdraw(*, handover: Handover, actor: User) -> Handover:
    """The worker keeps the shift after all."""
    order = order_lock(order_id=handover.order_id)
    handover = _handover_lock(handover.pk)
    if actor.pk != handover.from_worker_id:
        raise PermissionDenied(_("Only the worker who offered the shift can withdraw the offer."), code="wrong_party")
    now = timezone.now()
    if handover.state != HandoverState.OFFERED:
        _require_offered(handover, now)
    handover.state, handover.ended_at = HandoverState.WITHDRAWN, now
    handover.save(update_fields=("state", "ended_at"))
    transition_logged(
        order,
        transition="withdraw_handover",
        from_state=order.state,
        actor=actor,
        actor_role=ActorRole.PROVIDER,
        reason=Translatable(gettext_noop("Handover withdrawn: the worker keeps the shift")),
        at=now,
    )
    notifications_send(
        [
            notification_build(
                user_id=order.client_id,
                kind="handover_withdrawn",
                title=Translatable(
                    gettext_noop("%(name)s keeps the shift “%(title)s” after all"),
                    {"name": actor.public_name, "title": order.title},
                ),
                order_id=order.pk,
                at=now,
            )
        ]
    )
    return handover


# --- Accepting ---------------------------------------------------------------------------------------


def _require_eligible(order: Order, worker: User, now: datetime) -> None:
    """Everything booking the shift would ask of ``worker``, and no shift of their own at the same time."""
    listing = order.listing
    require_not_blocked(actor=worker, other=order.client)
    require_can_work_shift(listing=listing, worker=worker, policy=order.policy, now=now)
    if Order.objects.filter(listing_id=order.listing_id, provider=worker, state=OrderState.BOOKED).exists():
        raise Conflict(_("You have booked this shift already."), code="already_booked")
    clash = shift_clash_for(worker=worker, starts_at=order.starts_at, ends_at=order.ends_at)
    if clash is not None:
        raise Conflict(
            _("You already hold order #%(order)s, “%(title)s”, at an overlapping time.")
            % {"order": clash.pk, "title": clash.title},
            code="schedule_clash",
            extra={"order": clash.pk},
        )


@transaction.atomic
def handover_accept(*, handover: Handover, actor: User) -> Handover:
    """``actor`` takes the shift over: the booking becomes theirs, the first worker leaves free."""
    order = order_lock(order_id=handover.order_id)
    handover = _handover_lock(handover.pk)
    now = timezone.now()
    if actor.pk == handover.from_worker_id:
        raise PermissionDenied(_("You offered this shift; you can withdraw the offer."), code="wrong_party")
    if actor.pk == order.client_id:
        raise PermissionDenied(_("The employer cannot take over their own shift."), code="wrong_party")
    if handover.to_worker_id not in (None, actor.pk):
        raise NotFound(_("No such handover."))
    _require_offered(handover, now)
    if order.state != OrderState.BOOKED or order.provider_id != handover.from_worker_id:
        raise Conflict(_("This booking has changed since it was offered."), code="handover_not_open")
    _require_eligible(order, actor, now)
    first = handover.from_worker
    handover.state, handover.ended_at, handover.taken_by = HandoverState.ACCEPTED, now, actor
    handover.save(update_fields=("state", "ended_at", "taken_by"))
    order.provider = actor
    order.first_reminder_at = order.last_reminder_at = None  # the new worker is reminded in turn
    order.terms_declined_at = None  # they took the terms as they stand
    fields = ["provider", "first_reminder_at", "last_reminder_at", "terms_declined_at", "updated_at"]
    if order.confirmation_asked_at is not None:
        order.confirmed_at = now  # taking it over this close to the start is their word they come
        fields.append("confirmed_at")
    order.save(update_fields=fields)
    waitlist_offer_taken(listing_id=order.listing_id, worker_id=actor.pk)
    transition_logged(
        order,
        transition="handover",
        from_state=order.state,
        actor=actor,
        actor_role=ActorRole.PROVIDER,
        reason=Translatable(
            gettext_noop("Shift handed over from %(first)s to %(second)s; %(first)s leaves with no penalty"),
            {"first": first.public_name, "second": actor.public_name},
        ),
        at=now,
    )
    shift = {"title": order.title, "at": Moment(order.starts_at), "place": order.location}
    notifications_send(
        [
            notification_build(
                user_id=first.pk,
                kind="handover_accepted",
                title=Translatable(
                    gettext_noop("%(name)s took over your shift “%(title)s”"), {"name": actor.public_name, **shift}
                ),
                body=Translatable(gettext_noop("You are no longer booked, and nothing counts against you.")),
                at=now,
            ),
            notification_build(
                user_id=order.client_id,
                kind="handover_accepted",
                title=Translatable(
                    gettext_noop("%(name)s now works your shift “%(title)s”"), {"name": actor.public_name, **shift}
                ),
                body=Translatable(
                    gettext_noop("%(first)s handed the shift over. It starts %(at)s at %(place)s, on the same terms."),
                    {"first": first.public_name, **shift},
                ),
                order_id=order.pk,
                at=now,
            ),
            notification_build(
                user_id=actor.pk,
                kind="shift_booked",
                title=Translatable(gettext_noop("Shift booked: “%(title)s”"), shift),
                body=Translatable(
                    gettext_noop("It starts %(at)s at %(place)s. Check in on Gigfair when you arrive."), shift
                ),
                order_id=order.pk,
                at=now,
            ),
        ]
    )
    return handover


# --- The clock ---------------------------------------------------------------------------------------


def handovers_expire() -> SweepResult:
    """Offers nobody took by the start (or whose booking ended otherwise) end; the worker is told."""

    def due(now: datetime) -> QuerySet[Handover]:
        return Handover.objects.filter(state=HandoverState.OFFERED).filter(
            Q(expires_at__lte=now) | ~Q(order__state=OrderState.BOOKED)
        )

    done = 0
    for batch in locked_batches(due, size=BATCH):
        Handover.objects.filter(pk__in=[h.pk for h in batch]).update(state=HandoverState.EXPIRED, ended_at=batch.now)
        titles = dict(Order.objects.filter(pk__in={h.order_id for h in batch}).values_list("pk", "title"))
        notifications_send(
            notification_build(
                user_id=h.from_worker_id,
                kind="handover_expired",
                title=Translatable(gettext_noop("Nobody took over “%(title)s”"), {"title": titles.get(h.order_id, "")}),
                body=Translatable(gettext_noop("The offer ended with the shift's start or its booking.")),
                order_id=h.order_id,
                at=batch.now,
            )
            for h in batch
        )
        done += len(batch)
    return SweepResult(processed=done)
