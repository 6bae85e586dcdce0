"""Changed terms of a booked shift, by agreement: new hours and/or pay (seed 000: an employer who
"临时要求延长工作时间却不加薪" asks for longer hours without more pay).

The employer proposes them through the Resolution Center (``disputes``: a ``change_terms``
request, answered within the usual window). This module owns what they do to the order:
``terms_check`` cleans and checks a proposal, ``terms_preview`` says what accepting and
declining would mean (shown to the worker before they answer), ``order_change_terms`` carries
out an accepted change (times, pay and the escrow difference, charged to or refunded to the
employer through the ledger), and ``order_terms_declined`` records a refusal, after which the
worker may leave the shift free of any consequence (``orders.policy``) while an employer who
cancels pays their own tier.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.exceptions import Conflict
from core.i18n import Moment, Translatable
from core.models import ActorRole
from core.text import invalid, money_clean
from core.timeutils import shifted
from marketplace.models import User

from .cancellation import cancellation_decide
from .ledger import account_for
from .models import AccountKind, LedgerTransactionKind, Order, OrderState
from .policy import Decision
from .refunds import charge_create, refund_create
from .services import shift_clash_for

MAX_SHIFT = timedelta(hours=24)
MAX_PAY = Decimal("1000000")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Terms:
    """A shift's hours and pay."""

    starts_at: datetime
    ends_at: datetime
    price: Decimal

    @property
    def hours(self) -> Decimal:
        return (Decimal((self.ends_at - self.starts_at).total_seconds()) / 3600).quantize(CENT)


def terms_of(order: Order) -> Terms:
    return Terms(starts_at=order.starts_at, ends_at=order.ends_at, price=order.price)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _pay(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return money_clean(
        value,
        field="new_price",
        not_a_number=_("Enter the pay as a number."),
        not_positive=_("The pay must be more than zero."),
        too_much=_("The pay must be less than %(max)s."),
        limit=MAX_PAY,
    )


def require_terms_changeable(order: Order, now: datetime) -> None:
    """Refuse a change of terms on anything but a shift booked (not yet started) or under way."""
    if not order.is_shift:
        raise Conflict(_("Only a shift's hours and pay can be changed."), code="not_a_shift")
    if order.state not in (OrderState.BOOKED, OrderState.CHECKED_IN):
        raise Conflict(
            _("This shift is %(state)s: its terms can no longer change.") % {"state": order.get_state_display()},
            code="invalid_transition",
            extra={"state": order.state},
        )
    if order.state == OrderState.BOOKED and order.starts_at <= now:
        raise Conflict(_("This shift has already started."), code="shift_started")
    if order.state == OrderState.CHECKED_IN and order.ends_at <= now:
        raise Conflict(_("This shift has ended: its terms can no longer change."), code="shift_ended")


def terms_check(*, order: Order, starts_at=None, ends_at=None, price=None, now: datetime | None = None) -> Terms:
    """The proposed terms, each left out one kept as it is; refused field by field when they cannot apply."""
    now = now or timezone.now()
    require_terms_changeable(order, now)
    current = terms_of(order)
    starts_at = _aware(starts_at) or current.starts_at
    ends_at = _aware(ends_at) or current.ends_at
    pay = _pay(price)
    proposed = Terms(starts_at=starts_at, ends_at=ends_at, price=pay if pay is not None else current.price)
    if order.state == OrderState.CHECKED_IN and proposed.starts_at != current.starts_at:
        raise invalid("new_starts_at", _("The shift is under way: only its end and its pay can change."))
    if order.state == OrderState.BOOKED and proposed.starts_at <= now:
        raise invalid("new_starts_at", _("The new start must be in the future."))
    if proposed.ends_at <= proposed.starts_at:
        raise invalid("new_ends_at", _("The shift must end after it starts."))
    if proposed.ends_at <= now:
        raise invalid("new_ends_at", _("The new end must be in the future."))
    if proposed.ends_at - proposed.starts_at > MAX_SHIFT:
        raise invalid("new_ends_at", _("A shift lasts at most 24 hours."))
    if proposed == current:
        raise invalid("new_price", _("Change the hours, the pay or both: these are the terms already agreed."))
    return proposed


def terms_answer_by(order: Order, proposed: Terms) -> datetime:
    """A change must be answered before it could matter: by the start (or, under way, the end) that comes first."""
    if order.state == OrderState.CHECKED_IN:
        return min(order.ends_at, proposed.ends_at)
    return min(order.starts_at, proposed.starts_at)


@dataclass(frozen=True)
class TermsPreview:
    """What accepting and declining a change would mean, for the worker who answers and the employer."""

    current: Terms
    proposed: Terms
    difference: Decimal  # charged to the employer when > 0, refunded to them when < 0
    currency: str
    clash: Order | None  # the worker's other shift the new hours would overlap (only shown to the worker)
    worker_leaves_after_accepting: Decision  # the worker cancelling right after accepting (new start)
    employer_cancels_after_declining: Decision  # the employer cancelling right after a refusal

    @property
    def charged(self) -> Decimal:
        return max(self.difference, Decimal(0))

    @property
    def refunded(self) -> Decimal:
        return max(-self.difference, Decimal(0))

    @property
    def hours_difference(self) -> Decimal:
        return self.proposed.hours - self.current.hours


def terms_preview(*, order: Order, proposed: Terms, now: datetime | None = None) -> TermsPreview:
    """The consequences shown before anyone answers, from the same engine that carries them out."""
    now = now or timezone.now()
    changed = copy.copy(order)
    changed.starts_at, changed.ends_at, changed.price = proposed.starts_at, proposed.ends_at, proposed.price
    return TermsPreview(
        current=terms_of(order),
        proposed=proposed,
        difference=proposed.price - order.price,
        currency=order.currency,
        clash=shift_clash_for(
            worker=order.provider, starts_at=proposed.starts_at, ends_at=proposed.ends_at, exclude_order_id=order.pk
        ),
        worker_leaves_after_accepting=cancellation_decide(order=changed, actor_role=ActorRole.PROVIDER, now=now),
        employer_cancels_after_declining=cancellation_decide(order=order, actor_role="client", now=now),
    )


def order_change_terms(*, order: Order, proposed: Terms, actor: User) -> Order:
    """Carry out changed terms the worker accepted, on the locked ``order`` (call inside the
    answering transaction): the new hours and pay, the escrow difference charged to the employer
    (a pending charge into escrow) or refunded to them, reminders and confirmation asked again
    for a moved start, and a line in the order's history (which partners receive)."""
    now = timezone.now()
    require_terms_changeable(order, now)
    clash = shift_clash_for(
        worker=order.provider, starts_at=proposed.starts_at, ends_at=proposed.ends_at, exclude_order_id=order.pk
    )
    if clash is not None:
        raise Conflict(
            _(
                "The new hours overlap order #%(order)s, “%(title)s”, which you hold: two shifts at the same time "
                "cannot both be worked."
            )
            % {"order": clash.pk, "title": clash.title},
            code="schedule_clash",
            extra={"order": clash.pk},
        )
    before = terms_of(order)
    difference = proposed.price - before.price
    escrow = account_for(kind=AccountKind.ESCROW, currency=order.currency)
    if difference > 0:
        charge_create(
            order=order,
            amount=difference,
            credit=escrow,
            kind=LedgerTransactionKind.TERMS_CHANGE,
            memo=f"Order #{order.pk}: pay raised from {before.price} to {proposed.price} by agreement",
        )
    elif difference < 0:
        refund_create(
            order=order,
            amount=-difference,
            debit=escrow,
            kind=LedgerTransactionKind.TERMS_CHANGE,
            memo=f"Order #{order.pk}: pay lowered from {before.price} to {proposed.price} by agreement",
            now=now,
        )
    fields = ["starts_at", "ends_at", "price", "updated_at"]
    order.starts_at, order.ends_at, order.price = proposed.starts_at, proposed.ends_at, proposed.price
    if proposed.starts_at != before.starts_at:
        # The reminders speak of the start: they are sent again for the new one.
        order.first_reminder_at = order.last_reminder_at = None
        fields += ["first_reminder_at", "last_reminder_at"]
        if order.confirmation_asked_at is not None:
            order.confirmed_at = now  # accepting the new hours is the worker's word that they come
            fields.append("confirmed_at")
    if order.state == OrderState.CHECKED_IN and proposed.ends_at != before.ends_at:
        order.auto_complete_at = shifted(proposed.ends_at, timedelta(hours=order.policy.shift_auto_complete_hours))
        fields.append("auto_complete_at")
    order.save(update_fields=fields)
    transition_logged(
        order,
        transition="change_terms",
        from_state=order.state,
        actor=actor,
        actor_role=ActorRole.PROVIDER,
        reason=Translatable(
            gettext_noop("Terms changed by agreement: %(starts)s to %(ends)s for %(price)s %(currency)s"),
            {
                "starts": Moment(proposed.starts_at),
                "ends": Moment(proposed.ends_at),
                "price": str(proposed.price),
                "currency": order.currency,
            },
        ),
        at=now,
    )
    return order


def order_terms_declined(*, order: Order, actor: User) -> Order:
    """The worker declined the employer's changed terms (``order`` locked): the booking stays as it
    was, and from now on the worker may leave it free of any consequence."""
    now = timezone.now()
    order.terms_declined_at = now
    order.save(update_fields=("terms_declined_at", "updated_at"))
    transition_logged(
        order,
        transition="decline_terms",
        from_state=order.state,
        actor=actor,
        actor_role=ActorRole.PROVIDER,
        reason=Translatable(
            gettext_noop("Changed terms declined: the booking stays as it was, and the worker may leave it free")
        ),
        at=now,
    )
    return order
