"""The only code that writes orders and moves their money."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django_fsm import can_proceed

from core.audit import transition_log_write, transition_logged
from core.batches import transitions_apply
from core.exceptions import Conflict, NotFound, PaymentFailed, PermissionDenied, ValidationFailed
from core.i18n import Moment, Translatable
from core.models import ActorRole
from core.text import text_clean
from core.timeutils import shifted, when_text
from core.uploads import upload_check
from credit.eligibility import require_can_take_orders, require_early_access, require_min_score
from credit.services import credit_for_completed_order
from marketplace.models import Listing, ListingKind, User
from marketplace.notifications import notification_build, notifications_send, notify
from marketplace.services import listing_get_for_order, require_available, require_not_blocked

from .deposits import require_deposit
from .gateways import GatewayResult, gateway_get
from .ledger import account_for, ledger_post
from .models import (
    AccountKind,
    CancellationRule,
    Delivery,
    DeliveryFile,
    LedgerTransactionKind,
    Order,
    OrderPlacement,
    OrderState,
    Payment,
    PaymentStatus,
    PlacementStatus,
    Policy,
)
from .places import shift_places_release
from .policy import DEFAULT_RULES
from .selectors import order_extension_limit, policy_in_force
from .waitlist import offers_out, waitlist_offer_next, waitlist_offer_taken

MAX_TEXT = 20_000
RULE_FIELDS = (
    "path",
    "label",
    "min_hours_before_start",
    "client_refund_percent",
    "provider_compensation_percent",
    "provider_fee_percent",
    "credit_delta",
    "credit_party",
    "counts_against_completion_rate",
    "counts_as_complaint",
    "fault",
)
DELIVERY_FILE_TYPES = ("image", "pdf", "zip", "text")


def policy_current() -> Policy:
    """The newest policy version: new orders are made under it (a prepared read)."""
    policy = policy_in_force()
    if policy.pk is None:  # a database emptied after the data migration ran (e.g. by a test flush)
        policy = policy_create_defaults()
    return policy


@transaction.atomic
def policy_create_defaults() -> Policy:
    """Policy version 1 with the cancellation table of PRODUCT.md."""
    policy = Policy.objects.create(version=1)
    CancellationRule.objects.bulk_create(
        CancellationRule(policy=policy, **{f: getattr(rule, f) for f in RULE_FIELDS}) for rule in DEFAULT_RULES
    )
    return policy


def order_lock(*, order_id: int) -> Order:
    """Re-read the order under a row lock; call inside a transaction."""
    try:
        return Order.objects.select_for_update(of=("self",)).select_related("policy").get(pk=order_id)
    except Order.DoesNotExist:
        raise NotFound(_("No such order.")) from None


def orders_lock_free(*, order_ids) -> dict[int, Order]:
    """Lock those of ``order_ids`` nobody else holds (a sweep skips the rest); call inside a transaction."""
    return {
        order.pk: order
        for order in Order.objects.select_for_update(of=("self",), skip_locked=True).filter(pk__in=list(order_ids))
    }


def _require_role(order: Order, actor: User, role: str, action: str) -> None:
    actual = order.role_of(actor)
    if actual is None:
        raise NotFound(_("No such order."))
    if actual != role:
        who = _("client") if role == "client" else _("provider")
        raise PermissionDenied(
            _("Only the %(who)s of this order can %(action)s.") % {"who": who, "action": action},
            code="wrong_party",
        )


def _refuse_transition(order: Order, action: str, hint: str = "") -> Conflict:
    message = _("You cannot %(action)s an order that is %(state)s.") % {
        "action": action,
        "state": order.get_state_display(),
    }
    if hint:
        message = f"{message} {hint}"
    return Conflict(message, code="invalid_transition", extra={"state": order.state})


def _apply(order: Order, name: str, *, actor: User | None, role: str, reason: str = "", **kwargs) -> tuple[str, str]:
    """Run transition ``name`` on a locked order, save it and log it; returns (from, to)."""
    from_state = order.state
    getattr(order, name)(**kwargs)
    order.save()
    transition_logged(
        order, transition=name, from_state=from_state, actor=actor, actor_role=role, reason=reason, at=kwargs.get("at")
    )
    return from_state, order.state


# --- Making an order ----------------------------------------------------------------------


# How long a request may take between writing its placement and recording the charge; past
# it, orders.jobs.resume_order_placements finishes the placement.
PLACEMENT_CLAIM = timedelta(minutes=5)


def early_access_until(listing: Listing, policy: Policy | None = None) -> datetime | None:
    """Until when a shift posted with early access is bookable only by workers at or above the
    policy's score (None for any other listing)."""
    if not (listing.kind == ListingKind.SHIFT and listing.early_access):
        return None
    policy = policy or policy_current()
    return listing.created_at + timedelta(hours=policy.early_access_hours)


def order_create(*, actor: User, listing_id, requirements: str = "") -> Order:
    """Order a service (actor becomes client) or book a shift (actor becomes provider).

    The client is charged through the payment gateway and the money is held in escrow. The
    gateway is called outside any transaction, between two short ones: the first checks the
    request and writes it down as an ``OrderPlacement`` (which holds a shift's booking), the
    second records the outcome: the order with its payment and escrow, or the decline, which
    leaves no order behind. A request cut off on the way is finished by
    ``orders.jobs.resume_order_placements`` with the same idempotency key: the client is
    charged once.
    """
    placement = _placement_begin(actor=actor, listing_id=listing_id, requirements=requirements)
    placement = order_placement_finish(placement=placement)
    if placement.status == PlacementStatus.PLACED:
        return placement.order
    if placement.status == PlacementStatus.DECLINED:
        raise PaymentFailed(
            _("The client's payment was declined: %(why)s") % {"why": placement.failure_reason or _("no reason given")}
        )
    raise PermissionDenied(placement.failure_reason, code="blocked")


@transaction.atomic
def _placement_begin(*, actor: User, listing_id, requirements: str) -> OrderPlacement:
    """Check an order request and write it down, before the client is charged."""
    listing: Listing = listing_get_for_order(listing_id=listing_id)
    requirements = text_clean(requirements, field="requirements", limit=MAX_TEXT)
    now = timezone.now()
    if listing.owner_id == actor.pk:
        message = (
            _("You cannot order your own service.") if listing.is_service else _("You cannot book your own shift.")
        )
        raise ValidationFailed(message, code="own_listing", errors={"listing": [message]})
    require_not_blocked(actor=actor, other=listing.owner)
    require_available(listing=listing, actor=actor)
    policy = policy_current()
    if listing.kind == ListingKind.SERVICE:
        require_can_take_orders(provider=listing.owner, actor=actor, policy=policy)
        require_min_score(user=actor, minimum=listing.min_credit_score)
    if listing.kind == ListingKind.SHIFT:
        require_can_work_shift(listing=listing, worker=actor, policy=policy, now=now)
        if listing.starts_at <= now:
            raise Conflict(_("This shift has already started."), code="shift_started")
        _shift_place_take(listing=listing, actor=actor)
    return OrderPlacement.objects.create(
        listing=listing,
        kind=listing.kind,
        actor=actor,
        policy=policy,
        requirements=requirements,
        amount=listing.price,
        currency=listing.currency,
        claimed_until=now + PLACEMENT_CLAIM,
        created_at=now,
    )


def require_can_work_shift(*, listing: Listing, worker: User, policy: Policy, now: datetime) -> None:
    """What booking a shift asks of the worker: allowed to take orders, the listing's score, and
    the policy's score while the shift is in its early-access hours, and the policy's deposit
    from a worker under its score for a shift above its value (a handover asks the same)."""
    require_can_take_orders(provider=worker, actor=worker, policy=policy)
    require_min_score(user=worker, minimum=listing.min_credit_score)
    opens = early_access_until(listing, policy)
    if opens is not None and now < opens:
        require_early_access(user=worker, minimum=policy.early_access_min_score, opens_at=opens)
    require_deposit(worker=worker, price=listing.price, currency=listing.currency, policy=policy)


def _shift_place_take(*, listing: Listing, actor: User) -> None:
    """Hold one place of a shift for ``actor`` (inside the booking's transaction), or refuse:
    ``shift_full`` when every place is held, ``schedule_clash`` when ``actor`` holds a shift at
    an overlapping time. The listing's row lock makes bookings of one shift take turns (the last
    place has one winner); the worker's row lock does the same for one worker's bookings."""
    place = Listing.objects.select_for_update(no_key=True).only("pk", "positions", "positions_taken").get(pk=listing.pk)
    # Places kept for waitlisted workers with an open offer count as taken, except for them.
    kept = offers_out(listing.pk, now=timezone.now(), except_worker=actor.pk)
    if place.positions_taken < place.positions <= place.positions_taken + kept:
        raise Conflict(
            _("The free place is kept for a worker from the waitlist until they answer; join the waitlist."),
            code="shift_full",
        )
    if place.positions_taken >= place.positions:
        raise Conflict(
            ngettext(
                "This shift is full: its %(n)d place is booked.",
                "This shift is full: all %(n)d places are booked.",
                place.positions,
            )
            % {"n": place.positions},
            code="shift_full",
        )
    User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True).first()
    clash = shift_clash_for(worker=actor, starts_at=listing.starts_at, ends_at=listing.ends_at)
    if clash is not None:
        raise Conflict(
            _(
                "You already hold order #%(order)s, “%(title)s”, from %(starts)s to %(ends)s: "
                "two shifts at the same time cannot both be worked."
            )
            % {
                "order": clash.pk,
                "title": clash.title,
                "starts": Moment(clash.starts_at),
                "ends": Moment(clash.ends_at),
            },
            code="schedule_clash",
            extra={"order": clash.pk},
        )
    if OrderPlacement.objects.filter(
        actor=actor,
        kind=ListingKind.SHIFT,
        status=PlacementStatus.CHARGING,
        listing__starts_at__lt=listing.ends_at,
        listing__ends_at__gt=listing.starts_at,
    ).exists():
        raise Conflict(_("You are booking another shift at the same time right now."), code="schedule_clash")
    Listing.objects.filter(pk=listing.pk).update(positions_taken=F("positions_taken") + 1)
    waitlist_offer_taken(listing_id=listing.pk, worker_id=actor.pk)


def shift_clash_for(*, worker: User, starts_at, ends_at, exclude_order_id: int | None = None) -> Order | None:
    """The shift ``worker`` holds (booked or checked in) that overlaps ``starts_at``–``ends_at``, if any."""
    clashes = Order.objects.filter(
        provider=worker,
        kind=ListingKind.SHIFT,
        state__in=(OrderState.BOOKED, OrderState.CHECKED_IN),
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if exclude_order_id is not None:
        clashes = clashes.exclude(pk=exclude_order_id)
    return clashes.order_by("starts_at", "pk").first()


def order_placement_finish(*, placement: OrderPlacement) -> OrderPlacement:
    """Take a placement as far as it goes: charge, record, and give back a charge refused since.

    Call outside any transaction: each gateway call is followed by a short transaction that
    records its answer. The request that made the placement calls it, and so does the sweep
    finishing a placement its request left (every call uses the placement's stable keys, so
    the gateway answers a repeated one with its first outcome).
    """
    if placement.status == PlacementStatus.CHARGING:
        placement = _placement_record_charge(placement=placement, charge=_placement_charge(placement))
    if placement.status == PlacementStatus.REFUNDING:
        placement = _placement_record_refund(placement=placement, refund=_placement_refund(placement))
    return placement


@dataclass(frozen=True)
class PlacementCall:
    """The gateway's answer to a call for a placement, and which gateway gave it."""

    gateway: str
    result: GatewayResult


def _placement_charge(placement: OrderPlacement) -> PlacementCall:
    gateway = gateway_get()
    result = gateway.charge(
        customer_id=placement.client_id,
        amount=placement.amount,
        currency=placement.currency,
        idempotency_key=placement.idempotency_key,
    )
    return PlacementCall(gateway=gateway.name, result=result)


def _placement_refund(placement: OrderPlacement) -> PlacementCall:
    gateway = gateway_get()
    result = gateway.refund(
        charge_reference=placement.charge_reference,
        amount=placement.amount,
        currency=placement.currency,
        idempotency_key=f"{placement.idempotency_key}-refund",
    )
    return PlacementCall(gateway=gateway.name, result=result)


def _placement_lock(placement: OrderPlacement) -> OrderPlacement:
    return (
        OrderPlacement.objects.select_for_update(of=("self",))
        .select_related("listing__owner", "actor", "policy")
        .get(pk=placement.pk)
    )


@transaction.atomic
def _placement_record_charge(*, placement: OrderPlacement, charge: PlacementCall) -> OrderPlacement:
    """Record a placement's charge, once: the order with its payment and escrow, or the decline.

    A placement recorded already (by its request, or by the sweep that took it over) is
    returned as it is: the gateway answered both with the same charge.
    """
    placement = _placement_lock(placement)
    if placement.status != PlacementStatus.CHARGING:
        return placement
    result = charge.result
    if not result.ok:
        placement.status = PlacementStatus.DECLINED
        placement.failure_reason = result.failure_reason[:255]
        placement.save(update_fields=("status", "failure_reason"))
        if placement.kind == ListingKind.SHIFT:
            shift_places_release({placement.listing_id: 1})
            waitlist_offer_next([placement.listing_id])
        return placement
    placement.charge_reference = result.reference
    try:
        # Again, under the pair lock: a block made while the card was being charged wins,
        # as it would have had it come first, and the charge goes back.
        require_not_blocked(actor=placement.actor, other=placement.listing.owner)
    except PermissionDenied as refused:
        placement.status = PlacementStatus.REFUNDING
        placement.failure_reason = refused.message[:255]
        placement.save(update_fields=("status", "charge_reference", "failure_reason"))
        if placement.kind == ListingKind.SHIFT:
            shift_places_release({placement.listing_id: 1})
            waitlist_offer_next([placement.listing_id])
        return placement
    order = _placement_order(placement)
    payment = Payment.objects.create(
        order=order,
        gateway=charge.gateway,
        reference=result.reference,
        method=result.method,
        amount=order.price,
        currency=order.currency,
        status=PaymentStatus.SUCCEEDED,
    )
    ledger_post(
        kind=LedgerTransactionKind.CHARGE,
        currency=order.currency,
        order=order,
        memo=f"Payment {payment.reference}",
        lines=[
            (account_for(kind=AccountKind.GATEWAY, currency=order.currency), order.price),
            (account_for(kind=AccountKind.ESCROW, currency=order.currency), -order.price),
        ],
    )
    if order.is_service and placement.requirements:
        _apply(
            order,
            "submit_requirements",
            actor=placement.actor,
            role=ActorRole.CLIENT,
            reason=Translatable(gettext_noop("Requirements sent with the order")),
            requirements=placement.requirements,
            at=placement.created_at,
        )
    if order.is_shift:
        _notify_shift_booked(order)
    placement.status = PlacementStatus.PLACED
    placement.order = order
    placement.save(update_fields=("status", "order", "charge_reference"))
    return placement


def _notify_shift_booked(order: Order) -> None:
    """Both sides of a booked shift are told when and where it starts, each in their own time zone."""
    place = {"at": Moment(order.starts_at), "place": order.location}
    notifications_send(
        [
            notification_build(
                user_id=order.provider_id,
                kind="shift_booked",
                title=Translatable(gettext_noop("Shift booked: “%(title)s”"), {"title": order.title}),
                body=Translatable(
                    gettext_noop("It starts %(at)s at %(place)s. Check in on Gigfair when you arrive."), place
                ),
                order_id=order.pk,
            ),
            notification_build(
                user_id=order.client_id,
                kind="shift_booked",
                title=Translatable(
                    gettext_noop("%(name)s booked your shift “%(title)s”"),
                    {"name": order.provider.public_name, "title": order.title},
                ),
                body=Translatable(
                    gettext_noop(
                        "It starts %(at)s at %(place)s. The payment is held in escrow until you confirm the shift."
                    ),
                    place,
                ),
                order_id=order.pk,
            ),
        ]
    )


@transaction.atomic
def _placement_record_refund(*, placement: OrderPlacement, refund: PlacementCall) -> OrderPlacement:
    """Record the refund of a charge that could not become an order; a failed one is tried again later."""
    placement = _placement_lock(placement)
    if placement.status != PlacementStatus.REFUNDING:
        return placement
    if refund.result.ok:
        placement.status = PlacementStatus.REFUNDED
        placement.refund_reference = refund.result.reference
        placement.save(update_fields=("status", "refund_reference"))
    else:
        placement.claimed_until = timezone.now() + PLACEMENT_CLAIM  # the sweep tries again then
        placement.save(update_fields=("claimed_until",))
    return placement


def _placement_order(placement: OrderPlacement) -> Order:
    """The order of a paid placement, made as it was asked for (time, policy, price), and its log."""
    listing, actor, now = placement.listing, placement.actor, placement.created_at
    common = {
        "kind": listing.kind,
        "listing": listing,
        "policy": placement.policy,
        "title": listing.title,
        "price": placement.amount,
        "currency": placement.currency,
        "created_at": now,
    }
    if listing.kind == ListingKind.SERVICE:
        order = Order(
            client=actor,
            provider=listing.owner,
            state=OrderState.AWAITING_REQUIREMENTS,
            delivery_days=listing.delivery_days,
            revisions_allowed=listing.revisions or 0,
            **common,
        )
        role = ActorRole.CLIENT
    else:
        order = Order(
            client=listing.owner,
            provider=actor,
            state=OrderState.BOOKED,
            starts_at=listing.starts_at,
            ends_at=listing.ends_at,
            location=listing.location,
            **common,
        )
        role = ActorRole.PROVIDER
    # A shift's place was taken with its placement (``_shift_place_take``); the order keeps it.
    order.save()
    transition_log_write(
        subject=order,
        transition="create",
        from_state="",
        to_state=order.state,
        actor=actor,
        actor_role=role,
        reason=Translatable(gettext_noop("Order placed") if order.is_service else gettext_noop("Shift booked")),
        at=now,
    )
    return order


def _completion_effects(order: Order) -> None:
    """Money and credit of a completed order: escrow to the provider, credit to both parties."""
    _release_escrow(order)
    credit_for_completed_order(order=order)


def _release_escrow(order: Order) -> None:
    fee = order.platform_fee
    ledger_post(
        kind=LedgerTransactionKind.RELEASE,
        currency=order.currency,
        order=order,
        memo=f"Order #{order.pk} completed",
        lines=[
            (account_for(kind=AccountKind.ESCROW, currency=order.currency), order.price),
            (
                account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider),
                -(order.price - fee),
            ),
            (account_for(kind=AccountKind.PLATFORM, currency=order.currency), -fee),
        ],
    )


# --- Service orders -----------------------------------------------------------------------


@transaction.atomic
def order_submit_requirements(*, order: Order, actor: User, requirements: str) -> Order:
    """The client sends requirements: work starts and the due date is set."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "client", _("send requirements"))
    requirements = text_clean(
        requirements, field="requirements", limit=MAX_TEXT, required_message=_("Describe what you need.")
    )
    if not can_proceed(order.submit_requirements):
        raise _refuse_transition(order, _("send requirements for"))
    _apply(
        order,
        "submit_requirements",
        actor=actor,
        role=ActorRole.CLIENT,
        reason=Translatable(gettext_noop("Requirements sent")),
        requirements=requirements,
        at=timezone.now(),
    )
    return order


@transaction.atomic
def order_deliver(*, order: Order, actor: User, message: str, files: Sequence[UploadedFile] = ()) -> Order:
    """The provider hands over the work, with a message and optional files."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "provider", _("deliver"))
    message = text_clean(
        message, field="message", limit=MAX_TEXT, required_message=_("Tell the client what you deliver.")
    )
    checked = [upload_check(f, allowed=DELIVERY_FILE_TYPES, field="files") for f in files]
    if not can_proceed(order.deliver):
        raise _refuse_transition(order, _("deliver"))
    now = timezone.now()
    _apply(
        order,
        "deliver",
        actor=actor,
        role=ActorRole.PROVIDER,
        reason=Translatable(gettext_noop("Work delivered")),
        at=now,
    )
    delivery = Delivery.objects.create(order=order, message=message, created_at=now)
    for upload, kind in checked:
        DeliveryFile.objects.create(
            delivery=delivery, file=upload, name=upload.name[:255], content_type=kind, size=upload.size
        )
    return order


@transaction.atomic
def order_request_revision(*, order: Order, actor: User, message: str) -> Order:
    """The client sends the delivery back for a revision, within the listing's bound."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "client", _("ask for a revision"))
    message = text_clean(message, field="message", limit=MAX_TEXT, required_message=_("Say what should change."))
    if order.state == OrderState.DELIVERED and not order.has_revisions_left():
        raise Conflict(
            _("All %(n)d revisions included with this order have been used.") % {"n": order.revisions_allowed},
            code="no_revisions_left",
        )
    if not can_proceed(order.request_revision):
        raise _refuse_transition(order, _("ask for a revision of"))
    _apply(order, "request_revision", actor=actor, role=ActorRole.CLIENT, reason=message, at=timezone.now())
    last = order.deliveries.order_by("-created_at", "-id").first()
    if last is not None:
        last.revision_request = message
        last.save(update_fields=("revision_request", "updated_at"))
    return order


@transaction.atomic
def order_accept_delivery(*, order: Order, actor: User) -> Order:
    """The client accepts the delivery: the order completes and escrow goes to the provider."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "client", _("accept the delivery"))
    if not can_proceed(order.accept_delivery):
        raise _refuse_transition(order, _("accept the delivery of"))
    _apply(
        order,
        "accept_delivery",
        actor=actor,
        role=ActorRole.CLIENT,
        reason=Translatable(gettext_noop("Delivery accepted")),
        at=timezone.now(),
    )
    _completion_effects(order)
    return order


def order_extend_delivery(
    *,
    extensions: Sequence[tuple[Order, datetime]],
    actor: User | None,
    actor_role: str,
    reason: str | Callable[[Order, datetime], str],
    at: datetime,
    logs: list[dict] | None = None,
) -> None:
    """Move agreed extensions' orders to their new due dates; a late order is on time again.

    One order (a person accepting an extension) or many (a sweep accepting them in bulk),
    each with its new due date, locked by the caller. ``reason`` is the log's, the same for
    every order or a function of the order and its new due date. A caller writing log rows
    of its own passes ``logs`` to have these added for one insert. A due date further than
    the policy allows (``order_extension_limit``) is refused: no agreement, and no silence,
    moves it past that.
    """
    for order, new_due_at in extensions:
        if not can_proceed(order.extend_delivery):
            raise Conflict(
                _("The order is %(state)s now: its delivery can no longer be extended.")
                % {"state": order.get_state_display()},
                code="invalid_transition",
                extra={"state": order.state},
            )
        latest = order_extension_limit(order)
        if new_due_at > latest:
            raise Conflict(
                _("An extension moves the due date by at most %(days)d days, to %(latest)s at the latest.")
                % {"days": order.policy.max_extension_days, "latest": when_text(latest)},
                code="extension_too_far",
                extra={"latest": latest.isoformat()},
            )
    new_due = {order.pk: new_due_at for order, new_due_at in extensions}
    with transaction.atomic(savepoint=False):
        transitions_apply(
            [order for order, _new_due_at in extensions],
            "extend_delivery",
            kwargs=lambda order: {"new_due_at": new_due[order.pk]},
            at=at,
            actor=actor,
            actor_role=actor_role,
            reason=(lambda order: reason(order, new_due[order.pk])) if callable(reason) else reason,
            logs=logs,
        )


# --- Shift orders -------------------------------------------------------------------------


@transaction.atomic
def order_check_in(*, order: Order, actor: User) -> Order:
    """The provider checks in to the shift, from the policy's window before the start."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "provider", _("check in"))
    if order.state == OrderState.BOOKED and not order.check_in_is_open():
        opens = shifted(order.starts_at, -timedelta(minutes=order.policy.check_in_opens_minutes))
        if timezone.now() < opens:
            raise Conflict(
                _("Check-in opens at %(at)s.") % {"at": timezone.localtime(opens).strftime("%Y-%m-%d %H:%M %Z")},
                code="check_in_not_open",
            )
        raise Conflict(_("This shift is over; it can no longer be checked in."), code="check_in_closed")
    if not can_proceed(order.check_in):
        raise _refuse_transition(order, _("check in to"))
    _apply(
        order,
        "check_in",
        actor=actor,
        role=ActorRole.PROVIDER,
        reason=Translatable(gettext_noop("Checked in")),
        at=timezone.now(),
    )
    return order


@transaction.atomic
def order_confirm_attendance(*, order: Order, actor: User) -> Order:
    """The worker confirms they will come to a booked shift (the policy may ask them to)."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "provider", _("confirm"))
    if order.state != OrderState.BOOKED:
        raise _refuse_transition(order, _("confirm"))
    if order.confirmed_at is not None:
        return order
    now = timezone.now()
    order.confirmed_at = now
    order.save(update_fields=("confirmed_at", "updated_at"))
    transition_logged(
        order,
        transition="confirm_attendance",
        from_state=order.state,
        actor=actor,
        actor_role=ActorRole.PROVIDER,
        reason=Translatable(gettext_noop("The worker confirmed they will come")),
        at=now,
    )
    return order


@transaction.atomic
def order_check_out(*, order: Order, actor: User) -> Order:
    """The worker checks out of a shift they checked in to: the hours worked are recorded beside
    the booked hours (the order stays checked in until the client confirms it, or the sweep
    completes it). Once; not before the shift has started."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "provider", _("check out of"))
    if order.state != OrderState.CHECKED_IN:
        raise _refuse_transition(order, _("check out of"))
    if order.checked_out_at is not None:
        raise Conflict(_("You checked out already."), code="already_checked_out")
    now = timezone.now()
    if now < order.starts_at:
        raise Conflict(
            _("The shift starts at %(at)s: check out after you have worked.") % {"at": Moment(order.starts_at)},
            code="shift_not_started",
        )
    order.checked_out_at = now
    order.save(update_fields=("checked_out_at", "updated_at"))
    transition_logged(
        order,
        transition="check_out",
        from_state=order.state,
        actor=actor,
        actor_role=ActorRole.PROVIDER,
        reason=Translatable(gettext_noop("Checked out after %(hours)s hours"), {"hours": str(order.hours_worked)}),
        at=now,
    )
    notify(
        users=[order.client_id],
        kind="shift_checked_out",
        title=Translatable(
            gettext_noop("%(who)s checked out of “%(title)s” after %(hours)s hours"),
            {"who": actor.display_name or actor.username, "title": order.title, "hours": str(order.hours_worked)},
        ),
        order=order,
    )
    return order


@transaction.atomic
def order_complete(*, order: Order, actor: User) -> Order:
    """The client confirms the shift was worked: escrow goes to the provider."""
    order = order_lock(order_id=order.pk)
    _require_role(order, actor, "client", _("confirm the shift"))
    if not can_proceed(order.complete):
        hint = _("The worker must check in first.") if order.state == OrderState.BOOKED else ""
        raise _refuse_transition(order, _("confirm"), hint)
    _apply(
        order,
        "complete",
        actor=actor,
        role=ActorRole.CLIENT,
        reason=Translatable(gettext_noop("Shift confirmed")),
        at=timezone.now(),
    )
    _completion_effects(order)
    return order


# --- System -------------------------------------------------------------------------------


@transaction.atomic
def order_auto_complete(*, order_id: int) -> Order | None:
    """Complete an order whose auto-complete time has passed; no-op if no longer due."""
    try:
        order = (
            Order.objects.select_for_update(of=("self",), skip_locked=True).select_related("policy").get(pk=order_id)
        )
    except Order.DoesNotExist:
        return None
    now = timezone.now()
    if order.auto_complete_at is None or order.auto_complete_at > now or not can_proceed(order.auto_complete):
        return None
    reason = (
        _("Completed automatically: the client did not respond to the delivery in time")
        if order.is_service
        else _("Completed automatically after the shift ended")
    )
    _apply(order, "auto_complete", actor=None, role=ActorRole.SYSTEM, reason=reason, at=now)
    _completion_effects(order)
    return order
