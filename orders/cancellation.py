"""Cancellation services: quotes, every cancellation path, appeals, refunds.

Every consequence comes from ``orders.policy.decide``; this module only loads its inputs,
stores quotes, and carries out a decision exactly, in bulk when a sweep hands it many orders.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from core.batches import transitions_apply
from core.db import insert_rows
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.i18n import Translatable
from core.models import ActorRole
from core.prepared import PreparedRead, columns, instance
from core.support import is_support
from core.timeutils import add_business_days, when_text
from credit.models import CreditEvent, CreditReason, Restriction
from credit.services import credit_event_build, credit_event_reverse, credit_events_write
from marketplace.models import User
from marketplace.notifications import notification_build, notifications_send

from . import policy as engine
from .completion import restrictions_apply_after_cancellations
from .deposits import DepositTaker, fee_lines
from .ledger import account_for, ledger_build, ledger_post, ledger_post_many, provider_accounts
from .models import (
    CLAIM_PATH,
    PERSON_REASONS,
    AccountKind,
    Cancellation,
    CancellationQuote,
    CancellationRule,
    CancelReason,
    Fault,
    LedgerTransaction,
    LedgerTransactionKind,
    Order,
    OrderState,
    Payment,
    Policy,
    Refund,
    RefundStatus,
)
from .places import shift_places_of, shift_places_release
from .quotes import QuoteTokenInvalid, quote_from_token, quote_token
from .refunds import charge_create
from .services import order_lock
from .waitlist import waitlist_offer_next

REFUSAL_MESSAGES = {
    engine.Refusal.ORDER_CLOSED: gettext_lazy(
        "This order is already closed; completed orders can get an after-sales ticket."
    ),
    engine.Refusal.NOT_A_PARTY: gettext_lazy("Only the client or the provider of this order can cancel it."),
    engine.Refusal.USE_RESOLUTION_CENTER: gettext_lazy(
        "Work on this order has started: ask the other party to cancel through the Resolution Center."
    ),
    engine.Refusal.DELIVERED_USE_RESOLUTION_CENTER: gettext_lazy(
        "The work has been delivered: accept it, ask for a revision, or ask the provider to cancel "
        "through the Resolution Center."
    ),
    engine.Refusal.LATE_GRACE_NOT_OVER: gettext_lazy(
        "The order is late, but you can force-cancel only 24 hours after the due time; until then ask the "
        "provider through the Resolution Center."
    ),
    engine.Refusal.SHIFT_UNDER_WAY: gettext_lazy(
        "The shift is under way: open a support case if something went wrong."
    ),
    engine.Refusal.NOT_DUE: gettext_lazy("Nothing is due for this order yet."),
    engine.Refusal.NO_RULE: gettext_lazy(
        "The policy of this order has no rule for this cancellation; contact support."
    ),
}


def refusal_message(code: str) -> str:
    return str(REFUSAL_MESSAGES.get(code, _("This order cannot be cancelled now.")))


# --- Loading the engine's inputs -------------------------------------------------------


_rules_of_policy = PreparedRead(
    lambda policy_id: (
        CancellationRule.objects.filter(policy_id=policy_id)
        .order_by("path", "-min_hours_before_start", "id")
        .values_list(*columns(CancellationRule))
    ),
    "policy_id",
)


def _policy_rule_rows(policy: Policy) -> list[CancellationRule]:
    prefetched = getattr(policy, "_prefetched_objects_cache", {}).get("rules")
    if prefetched is not None:  # a sweep read its batch's policies with their rules
        return list(prefetched)
    return [instance(CancellationRule, row) for row in _rules_of_policy(policy_id=policy.pk)]


def policy_rules(policy: Policy) -> list[engine.Rule]:
    """The policy's cancellation table as engine rules (cached on the instance; read by a prepared
    read unless the rules were prefetched with it)."""
    cached = getattr(policy, "_engine_rules", None)
    if cached is None:
        cached = [
            engine.Rule(
                path=r.path,
                label=r.label,
                min_hours_before_start=r.min_hours_before_start,
                client_refund_percent=r.client_refund_percent,
                provider_compensation_percent=r.provider_compensation_percent,
                provider_fee_percent=r.provider_fee_percent,
                credit_delta=r.credit_delta,
                credit_party=r.credit_party,
                counts_against_completion_rate=r.counts_against_completion_rate,
                counts_as_complaint=r.counts_as_complaint,
                fault=r.fault,
            )
            for r in _policy_rule_rows(policy)
        ]
        policy._engine_rules = cached
    return cached


def policy_windows(policy: Policy) -> engine.Windows:
    return engine.Windows(
        late_grace_hours=policy.late_grace_hours,
        no_show_minutes=policy.no_show_minutes,
        requirements_timeout_days=policy.requirements_timeout_days,
        quote_valid_minutes=policy.quote_valid_minutes,
        booking_undo_minutes=policy.booking_undo_minutes,
    )


def order_facts(order: Order) -> engine.OrderFacts:
    return engine.OrderFacts(
        kind=order.kind,
        state=order.state,
        price=order.price,
        created_at=order.created_at,
        due_at=order.due_at,
        starts_at=order.starts_at,
        terms_declined_at=order.terms_declined_at,
    )


def cancellation_decide(
    *,
    order: Order,
    actor_role: str,
    now: datetime | None = None,
    ruling_fault=None,
    refund_percent=None,
    asked_by: str = "",
    reason: str = "",
) -> engine.Decision:
    """The engine's decision for this order, actor role and moment.

    A mutual cancellation also needs who asked for it (``asked_by``) and why (``reason``):
    the policy's client-side reasons keep it from counting against the provider.
    """
    return engine.decide(
        facts=order_facts(order),
        actor_role=actor_role,
        now=now or timezone.now(),
        rules=policy_rules(order.policy),
        windows=policy_windows(order.policy),
        ruling_fault=ruling_fault,
        agreed_refund_percent=refund_percent,
        asked_by=asked_by,
        reason=reason,
        client_side_reasons=order.policy.client_side_cancel_reasons or (),
    )


def _party_role(order: Order, actor: User) -> str:
    role = order.role_of(actor)
    if role is None:
        raise NotFound(_("No such order."))
    return role


# --- Quotes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteView:
    """A quote as shown to a person: the stored quote when allowed, the refusal otherwise."""

    decision: engine.Decision
    quote: CancellationQuote | None
    order: Order

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def message(self) -> str:
        return "" if self.allowed else refusal_message(self.decision.code)


def cancellation_quote(*, order: Order, actor: User) -> QuoteView:
    """What cancelling ``order`` now would do for ``actor``, as a quote whose signed token
    (``quote.token``) binds its terms when cancelling; nothing is written (``orders.quotes``)."""
    role = _party_role(order, actor)
    now = timezone.now()
    decision = cancellation_decide(order=order, actor_role=role, now=now)
    if not decision.allowed:
        return QuoteView(decision=decision, quote=None, order=order)
    outcome = decision.outcome
    quote = CancellationQuote(
        id=uuid.uuid4(),
        order=order,
        actor=actor,
        actor_role=role,
        policy=order.policy,
        path=decision.path,
        tier=decision.tier,
        refund_to_client=outcome.refund_to_client,
        compensation_to_provider=outcome.compensation_to_provider,
        retained_by_platform=outcome.retained_by_platform,
        fee_to_platform=outcome.fee_to_platform,
        credit_delta=outcome.credit_delta,
        credit_party=outcome.credit_party,
        counts_against_completion_rate=outcome.counts_against_completion_rate,
        counts_as_complaint=outcome.counts_as_complaint,
        fault=outcome.fault,
        created_at=now,
        valid_until=decision.valid_until,
    )
    quote.token = quote_token(quote)
    return QuoteView(decision=decision, quote=quote, order=order)


def _terms_from_quote(quote: CancellationQuote) -> engine.Decision:
    return engine.Decision(
        allowed=True,
        path=quote.path,
        tier=quote.tier,
        valid_until=quote.valid_until,
        outcome=engine.Outcome(
            refund_to_client=quote.refund_to_client,
            compensation_to_provider=quote.compensation_to_provider,
            retained_by_platform=quote.retained_by_platform,
            fee_to_platform=quote.fee_to_platform,
            credit_delta=quote.credit_delta,
            credit_party=quote.credit_party,
            counts_against_completion_rate=quote.counts_against_completion_rate,
            counts_as_complaint=quote.counts_as_complaint,
            fault=quote.fault,
        ),
    )


# --- Carrying a decision out -----------------------------------------------------------


@dataclass
class CancelItem:
    """One order to cancel with its decided terms (orders locked by the caller)."""

    order: Order
    decision: engine.Decision
    actor: User | None
    actor_role: str
    reason: str
    message: str = ""
    quote: CancellationQuote | None = None


_CREDIT_REASON = {
    engine.Path.NO_SHOW: CreditReason.NO_SHOW,
    engine.Path.RULING_CLIENT: CreditReason.RULING,
    engine.Path.RULING_PROVIDER: CreditReason.RULING,
    engine.Path.RULING_FORCE_MAJEURE: CreditReason.RULING,
    engine.Path.RULING_NONE: CreditReason.RULING,
}


@dataclass(frozen=True)
class CancellationsDone:
    """What carrying out cancellations wrote, by id, for callers that link it to their own records."""

    cancellation_ids: list[int] = field(default_factory=list)
    ledger_transaction_ids: list[int] = field(default_factory=list)
    refund_ids: list[int] = field(default_factory=list)
    credit_event_ids: list[int] = field(default_factory=list)
    # Rights the policy's rules took away because of these cancellations (repeat offences).
    restrictions: list[Restriction] = field(default_factory=list)


@dataclass(frozen=True)
class CancellationResult:
    """One order cancelled, and everything its cancellation wrote (a support ruling links them)."""

    order: Order
    cancellation: Cancellation
    ledger_transactions: list[LedgerTransaction]
    refunds: list[Refund]
    credit_events: list[CreditEvent]
    restrictions: list[Restriction]


def _result_for(order: Order, done: CancellationsDone) -> CancellationResult:
    return CancellationResult(
        order=order,
        cancellation=Cancellation.objects.get(pk=done.cancellation_ids[0]),
        ledger_transactions=list(LedgerTransaction.objects.filter(pk__in=done.ledger_transaction_ids).order_by("pk")),
        refunds=list(Refund.objects.filter(pk__in=done.refund_ids).order_by("pk")),
        credit_events=list(CreditEvent.objects.filter(pk__in=done.credit_event_ids).order_by("pk")),
        restrictions=done.restrictions,
    )


def cancellations_execute(
    items: Sequence[CancelItem], *, now: datetime | None = None, notices: list[dict] | None = None
) -> CancellationsDone:
    """Carry out decided cancellations exactly, writing every effect in bulk.

    Call inside a transaction with the orders locked. Per order: the transition and its log,
    the cancellation record, the escrow split (refund owed, compensation, retained), the
    provider's fee, a pending refund, the credit event and a notice to both parties. A caller
    with notices of its own passes ``notices``: the parties' notices are added to it for the
    caller to send with its own, in one go; otherwise they are sent here. Returns what it wrote.
    """
    if not items:
        return CancellationsDone()
    now = now or timezone.now()
    send_notices = notices is None
    notices = [] if notices is None else notices
    cancellations, ledger, refunds, credit_events = [], [], [], []
    providers = provider_accounts(currency_user_pairs={(i.order.currency, i.order.provider_id) for i in items})
    accounts: dict[tuple, object] = {}

    def account(kind: str, currency: str, user_id=None):
        if user_id is not None:
            return providers[(currency, user_id)]
        if (kind, currency) not in accounts:
            accounts[(kind, currency)] = account_for(kind=kind, currency=currency)
        return accounts[(kind, currency)]

    # Looked up once per batch, not once per order: sweeps hand over thousands. The notices are
    # translated for each recipient when sent; the log is written in the current language.
    title_text = gettext_noop("Order #%(id)s “%(title)s” was cancelled")
    body_text = gettext_noop("Reason: %(reason)s. Refund to client: %(refund)s %(cur)s.")
    reason_labels: dict[str, tuple[Promise, str]] = {}
    settle_after: dict[int, datetime] = {}

    for item in items:
        if item.reason not in reason_labels:
            label = CancelReason(item.reason).label
            reason_labels[item.reason] = (label, str(label))
    by_order = {item.order.pk: item for item in items}

    def log_reason(order: Order) -> str:
        item = by_order[order.pk]
        reason_text = reason_labels[item.reason][1]
        return f"{reason_text}: {item.message}" if item.message else reason_text

    transitions_apply(
        [item.order for item in items],
        "cancel",
        kwargs={"at": now},
        at=now,
        actor=lambda order: by_order[order.pk].actor,
        actor_role=lambda order: by_order[order.pk].actor_role,
        reason=log_reason,
    )
    # A cancelled booking gives its place on the shift back: the first worker waiting is offered it.
    freed = shift_places_of(item.order for item in items)
    shift_places_release(freed)
    waitlist_offer_next(freed, now=now)

    # Providers' fees are taken from their deposits first (one read, the deposits locked).
    fees_due = {(i.order.currency, i.order.provider_id) for i in items if i.decision.outcome.fee_to_platform > 0}
    deposits = DepositTaker(fees_due) if fees_due else None

    for item in items:
        order, outcome = item.order, item.decision.outcome
        reason_label = reason_labels[item.reason][0]
        deposit, from_deposit = (
            deposits.take(order.currency, order.provider_id, outcome.fee_to_platform)
            if deposits is not None
            else (None, Decimal("0.00"))
        )
        cancellations.append(
            {
                "order_id": order.pk,
                "actor_id": getattr(item.actor, "pk", None),
                "actor_role": item.actor_role,
                "path": item.decision.path,
                "reason": item.reason,
                "message": item.message,
                "fault": outcome.fault,
                "policy_id": order.policy_id,
                "tier": item.decision.tier,
                "quote_id": getattr(item.quote, "pk", None),
                "refund_to_client": outcome.refund_to_client,
                "compensation_to_provider": outcome.compensation_to_provider,
                "retained_by_platform": outcome.retained_by_platform,
                "fee_to_platform": outcome.fee_to_platform,
                "deposit_kept": from_deposit,
                "credit_delta": outcome.credit_delta,
                "credit_party": outcome.credit_party,
                "counts_against_completion_rate": outcome.counts_against_completion_rate,
                "counts_as_complaint": outcome.counts_as_complaint,
                "created_at": now,
                "reversed_at": None,
                "reversed_by_id": None,
                "reversal_reason": "",
            }
        )
        cur = order.currency
        ledger.append(
            ledger_build(
                kind=LedgerTransactionKind.CANCELLATION,
                currency=cur,
                order=order,
                memo=f"Order #{order.pk} cancelled ({item.decision.tier})",
                lines=[
                    (account(AccountKind.ESCROW, cur), order.price),
                    (account(AccountKind.REFUNDS, cur), -outcome.refund_to_client),
                    (account(AccountKind.PROVIDER, cur, order.provider_id), -outcome.compensation_to_provider),
                    (account(AccountKind.PLATFORM, cur), -outcome.retained_by_platform),
                ],
            )
        )
        if outcome.fee_to_platform > 0:
            ledger.append(
                ledger_build(
                    kind=LedgerTransactionKind.PROVIDER_FEE,
                    currency=cur,
                    order=order,
                    memo=f"Cancellation fee, order #{order.pk}",
                    lines=fee_lines(
                        provider=account(AccountKind.PROVIDER, cur, order.provider_id),
                        platform=account(AccountKind.PLATFORM, cur),
                        fee=outcome.fee_to_platform,
                        deposit=deposit,
                        from_deposit=from_deposit,
                    ),
                )
            )
        if outcome.refund_to_client > 0:
            refunds.append(
                {
                    "order_id": order.pk,
                    "payment_id": order._charge_payment_id,
                    "amount": outcome.refund_to_client,
                    "currency": cur,
                    "status": RefundStatus.PENDING,
                    "settle_after": settle_after.setdefault(
                        order.policy_id, add_business_days(now, order.policy.refund_settlement_business_days)
                    ),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        if outcome.credit_delta and outcome.credit_party:
            credit_events.append(
                credit_event_build(
                    user_id=order.client_id if outcome.credit_party == "client" else order.provider_id,
                    delta=outcome.credit_delta,
                    reason=_CREDIT_REASON.get(item.decision.path, CreditReason.CANCELLATION),
                    order_id=order.pk,
                    actor=item.actor,
                    detail=f"{item.decision.tier}",
                    at=now,
                )
            )
        title = Translatable(title_text, {"id": order.pk, "title": order.title})
        body = Translatable(body_text, {"reason": reason_label, "refund": outcome.refund_to_client, "cur": cur})
        for user_id in (order.client_id, order.provider_id):
            notices.append(
                notification_build(
                    user_id=user_id, kind="order_cancelled", title=title, body=body, order_id=order.pk, at=now
                )
            )

    cancellation_ids = insert_rows(Cancellation, cancellations, with_ids=True)
    ledger_ids = ledger_post_many(ledger)
    refund_ids = insert_rows(Refund, refunds, with_ids=True)
    credit_event_ids = credit_events_write(credit_events)
    if send_notices:
        notifications_send(notices)
    restrictions = restrictions_apply_after_cancellations(
        provider_ids={i.order.provider_id for i in items if i.decision.outcome.counts_as_complaint},
        client_ids={i.order.client_id for i in items if i.decision.path == engine.Path.RULING_CLIENT},
    )
    return CancellationsDone(
        cancellation_ids=cancellation_ids,
        ledger_transaction_ids=ledger_ids,
        refund_ids=refund_ids,
        credit_event_ids=credit_event_ids,
        restrictions=restrictions,
    )


def attach_charge_payments(orders: Sequence[Order]) -> None:
    """Note on each order the payment a refund goes back to (one query for the batch)."""
    by_order = dict(
        Payment.objects.filter(order__in=orders, status="succeeded")
        .order_by("order_id", "created_at")
        .values_list("order_id", "id")
    )
    for order in orders:
        order._charge_payment_id = by_order.get(order.pk)


def _validate_reason(reason: str, message: str) -> tuple[str, str]:
    if reason not in dict(PERSON_REASONS):
        text = _("Choose a reason: %(list)s.") % {"list": ", ".join(code for code, _label in PERSON_REASONS)}
        raise ValidationFailed(text, errors={"reason": [text]})
    message = (message or "").strip()
    if len(message) > 5000:
        text = _("At most 5000 characters.")
        raise ValidationFailed(text, errors={"message": [text]})
    return reason, message


def _quote_for(quote_id, *, order: Order, actor: User) -> CancellationQuote:
    """The quote a token carries, if it was made for ``actor`` on ``order``: 400 ``unknown_quote`` otherwise."""
    try:
        quote = quote_from_token(quote_id)
    except QuoteTokenInvalid:
        quote = None
    if quote is None or quote.order_id != order.pk or quote.actor_id != actor.pk:
        text = _("No such quote for this order.")
        raise ValidationFailed(text, code="unknown_quote", errors={"quote_id": [text]})
    return quote


@transaction.atomic
def order_cancel(*, order: Order, actor: User, reason: str, message: str = "", quote_id=None) -> Order:
    """A party cancels unilaterally where the rules allow; a valid quote binds its terms."""
    reason, message = _validate_reason(reason, message)
    order = order_lock(order_id=order.pk)
    role = _party_role(order, actor)
    now = timezone.now()
    quote = None
    if quote_id not in (None, ""):
        quote = _quote_for(quote_id, order=order, actor=actor)
        if order.state == OrderState.CANCELLED:
            raise Conflict(_("This order is already cancelled."), code="already_cancelled")
        if now > quote.valid_until:
            raise Conflict(
                _("This quote expired at %(at)s; ask for a new one.") % {"at": when_text(quote.valid_until)},
                code="quote_expired",
            )
        current = cancellation_decide(order=order, actor_role=role, now=now)
        if not current.allowed:
            raise Conflict(refusal_message(current.code), code=current.code)
        decision = _terms_from_quote(quote)
        quote.save(force_insert=True)  # kept beside the cancellation it binds: what was shown and confirmed
    else:
        decision = cancellation_decide(order=order, actor_role=role, now=now)
        if not decision.allowed:
            if order.state == OrderState.CANCELLED:
                raise Conflict(_("This order is already cancelled."), code="already_cancelled")
            extra = {"available_from": decision.available_from.isoformat()} if decision.available_from else {}
            raise Conflict(refusal_message(decision.code), code=decision.code, extra=extra)
    attach_charge_payments([order])
    cancellations_execute(
        [CancelItem(order, decision, actor, role, reason, message, quote)],
        now=now,
    )
    return order


@transaction.atomic
def order_cancel_by_support(
    *,
    order: Order,
    actor: User,
    fault: str,
    reason: str,
    message: str,
    refund_percent: Decimal | None = None,
) -> CancellationResult:
    """Support rules a cancellation with a fault category; the policy sets its consequences.

    Returns the cancelled order with everything the cancellation wrote, for the ruling to link.
    """
    if not is_support(actor, "orders.change_order"):
        raise PermissionDenied(_("Only support staff can rule a cancellation."))
    if fault not in engine.Path.RULINGS:
        text = _("Choose the fault: client, provider, force_majeure or none.")
        raise ValidationFailed(text, errors={"fault": [text]})
    if refund_percent is not None and not Decimal(0) <= Decimal(refund_percent) <= Decimal(100):
        text = _("A refund is between 0 and 100 %.")
        raise ValidationFailed(text, errors={"refund_percent": [text]})
    reason, message = _validate_reason(reason, message)
    if not message:
        text = _("Explain the ruling; both parties will see it.")
        raise ValidationFailed(text, errors={"message": [text]})
    order = order_lock(order_id=order.pk)
    decision = cancellation_decide(
        order=order,
        actor_role="support",
        ruling_fault=fault,
        refund_percent=Decimal(refund_percent) if refund_percent is not None else None,
    )
    if not decision.allowed:
        raise Conflict(refusal_message(decision.code), code=decision.code)
    attach_charge_payments([order])
    done = cancellations_execute([CancelItem(order, decision, actor, ActorRole.SUPPORT, reason, message)])
    return _result_for(order, done)


@transaction.atomic
def cancellation_reverse(
    *, cancellation: Cancellation, actor: User, reason: str, credit_events: Iterable[CreditEvent] | None = None
) -> Cancellation:
    """An upheld appeal: refund the provider's fee and reverse the credit event; both stay in history.

    ``credit_events``: the events to reverse, when the caller knows them (a support case links
    the ones its ruling wrote); by default every event of the order but the completion credit.
    """
    if not is_support(actor, "orders.change_cancellation"):
        raise PermissionDenied(_("Only support staff can decide an appeal."))
    reason = (reason or "").strip()
    if not reason:
        text = _("Explain why the appeal is upheld.")
        raise ValidationFailed(text, errors={"reason": [text]})
    cancellation = Cancellation.objects.select_for_update().select_related("order").get(pk=cancellation.pk)
    if cancellation.reversed_at is not None:
        raise Conflict(_("This cancellation was already reversed on appeal."), code="already_reversed")
    order = cancellation.order
    if cancellation.fee_to_platform > 0:
        ledger_post(
            kind=LedgerTransactionKind.FEE_REVERSAL,
            currency=order.currency,
            order=order,
            memo=f"Appeal upheld: fee of order #{order.pk} refunded",
            # The fee's own lines turned round: what the deposit gave goes back to the deposit.
            lines=[
                (account, -amount)
                for account, amount in fee_lines(
                    provider=account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider),
                    platform=account_for(kind=AccountKind.PLATFORM, currency=order.currency),
                    fee=cancellation.fee_to_platform,
                    deposit=(
                        account_for(kind=AccountKind.DEPOSIT, currency=order.currency, user=order.provider)
                        if cancellation.deposit_kept
                        else None
                    ),
                    from_deposit=cancellation.deposit_kept,
                )
            ],
        )
    if credit_events is None:
        credit_events = CreditEvent.objects.filter(
            order=order, reverses__isnull=True, reversed_by__isnull=True
        ).exclude(reason=CreditReason.ORDER_COMPLETED)
    for event in credit_events:
        credit_event_reverse(event=event, actor=actor, detail=reason)
    cancellation.reversed_at = timezone.now()
    cancellation.reversed_by = actor
    cancellation.reversal_reason = reason
    cancellation.counts_against_completion_rate = False
    cancellation.save(update_fields=("reversed_at", "reversed_by", "reversal_reason", "counts_against_completion_rate"))
    notifications_send(
        notification_build(
            user_id=uid,
            kind="appeal_upheld",
            title=Translatable(gettext_noop("Appeal upheld on order #%(id)s"), {"id": order.pk}),
            body=reason,
            order_id=order.pk,
        )
        for uid in (order.client_id, order.provider_id)
    )
    return cancellation


@transaction.atomic
def refund_retry_now(*, refund: Refund, actor: User) -> Refund:
    """Make a failed refund due now, so the next settlement sweep tries it again."""
    if not is_support(actor, "orders.change_refund"):
        raise PermissionDenied(_("Only support staff can retry a refund."))
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.FAILED:
        raise Conflict(_("Only a failed refund can be retried now."), code="refund_not_failed")
    now = timezone.now()
    if refund.settle_after > now:
        refund.settle_after = now
        refund.save(update_fields=("settle_after", "updated_at"))
    return refund


@transaction.atomic
def order_cancel_mutual(
    *, order: Order, accepted_by: User, refund_percent: Decimal, reason: str, message: str = ""
) -> Order:
    """Cancel by agreement (one party asked, ``accepted_by`` accepted) with the agreed refund split.

    ``reason`` is the asking party's: one the policy marks as the client's side, given by the
    client, keeps the cancellation from counting against the provider.
    """
    reason, message = _validate_reason(reason, message)
    order = order_lock(order_id=order.pk)
    role = _party_role(order, accepted_by)
    asked_by = "provider" if role == "client" else "client"
    try:
        refund_percent = Decimal(refund_percent)
    except (TypeError, ArithmeticError, ValueError):
        refund_percent = Decimal(-1)
    if not Decimal(0) <= refund_percent <= Decimal(100):
        text = _("A refund is between 0 and 100 %.")
        raise ValidationFailed(text, errors={"refund_percent": [text]})
    decision = cancellation_decide(
        order=order, actor_role="mutual", refund_percent=refund_percent, asked_by=asked_by, reason=reason
    )
    if not decision.allowed:
        raise Conflict(refusal_message(decision.code), code=decision.code)
    attach_charge_payments([order])
    cancellations_execute([CancelItem(order, decision, accepted_by, role, reason, message)])
    return order


# --- Claims with proof ---------------------------------------------------------------------
# A party who must cancel for a reason that is not their fault files a claim (the disputes app
# keeps it and support decides it). Orders cancels the order at once with the client refunded
# in full and says what the normal rules would have cost the claimant then: that is held.
# Support's decision then drops it, applies it, or (a client-responsible claim accepted) puts
# the client-responsible ruling's consequences on the client. Each writes through the ledger
# and the credit engine like any cancellation.


@dataclass(frozen=True)
class HeldConsequences:
    """What the normal rules would cost ``role`` for cancelling ``order`` at a moment.

    The claimant's own unilateral cancellation when the rules allow it then; otherwise, as a
    ruling that they were responsible would (the only other way the order could have ended
    on their account). Only what hits the claimant: a fee and a completion-rate count are a
    provider's; a credit change is theirs when the rule gives it to their side.
    """

    role: str
    path: str
    tier: str
    fee_to_platform: Decimal
    credit_delta: int
    counts_against_completion_rate: bool
    counts_as_complaint: bool


def claim_held_for(*, order: Order, role: str, now: datetime | None = None) -> HeldConsequences:
    """The consequences a claim by ``role`` on ``order`` would hold now (pure but for reading the policy)."""
    now = now or timezone.now()
    decision = cancellation_decide(order=order, actor_role=role, now=now)
    if not decision.allowed:
        decision = cancellation_decide(order=order, actor_role="support", ruling_fault=role, now=now)
    outcome = decision.outcome
    is_provider = role == ActorRole.PROVIDER
    return HeldConsequences(
        role=role,
        path=decision.path,
        tier=decision.tier,
        fee_to_platform=outcome.fee_to_platform if is_provider else Decimal("0.00"),
        credit_delta=outcome.credit_delta if outcome.credit_party == role else 0,
        counts_against_completion_rate=is_provider and outcome.counts_against_completion_rate,
        counts_as_complaint=is_provider and outcome.counts_as_complaint,
    )


def _claim_decision(order: Order, now: datetime) -> engine.Decision:
    """A claim's own cancellation: the client refunded in full, nothing for or against anyone yet."""
    return engine.Decision(
        allowed=True,
        path=CLAIM_PATH,
        tier=str(gettext_lazy("claim with proof: support decides")),
        valid_until=now,
        outcome=engine.Outcome(
            refund_to_client=order.price,
            compensation_to_provider=Decimal("0.00"),
            retained_by_platform=Decimal("0.00"),
            fee_to_platform=Decimal("0.00"),
            credit_delta=0,
            credit_party="",
            counts_against_completion_rate=False,
            counts_as_complaint=False,
            fault="none",
        ),
    )


@transaction.atomic
def order_cancel_by_claim(
    *, order: Order, actor: User, reason: str, message: str
) -> tuple[CancellationResult, HeldConsequences]:
    """Cancel ``order`` for a party's claim: full refund now, and what the normal rules would hold.

    Refused like any cancellation of a closed order (409 ``order_closed``); the order's lock
    orders it against the sweeps (a no-show at the same moment: one of the two wins).
    """
    order = order_lock(order_id=order.pk)
    role = _party_role(order, actor)
    if not order.is_open:
        raise Conflict(refusal_message(engine.Refusal.ORDER_CLOSED), code=engine.Refusal.ORDER_CLOSED)
    reason, message = _validate_reason(reason, message)
    now = timezone.now()
    held = claim_held_for(order=order, role=role, now=now)
    attach_charge_payments([order])
    done = cancellations_execute(
        [CancelItem(order, _claim_decision(order, now), actor, role, reason, message)], now=now
    )
    return _result_for(order, done), held


@transaction.atomic
def cancellation_claim_rejected(
    *, cancellation: Cancellation, held: HeldConsequences, actor: User, detail: str
) -> CancellationResult:
    """Apply what a rejected claim held, dated at the claim: the fee, the credit, the counts."""
    cancellation = Cancellation.objects.select_for_update().select_related("order__policy").get(pk=cancellation.pk)
    order, at = cancellation.order, cancellation.created_at
    ledger_ids = []
    from_deposit = Decimal("0.00")
    if held.fee_to_platform > 0:
        provider = account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider)
        deposit, from_deposit = DepositTaker([(order.currency, order.provider_id)]).take(
            order.currency, order.provider_id, held.fee_to_platform
        )
        fee_id = ledger_post(
            kind=LedgerTransactionKind.PROVIDER_FEE,
            currency=order.currency,
            order=order,
            memo=f"Cancellation fee, order #{order.pk} (claim rejected)",
            lines=fee_lines(
                provider=provider,
                platform=account_for(kind=AccountKind.PLATFORM, currency=order.currency),
                fee=held.fee_to_platform,
                deposit=deposit,
                from_deposit=from_deposit,
            ),
        )
        ledger_ids.append(fee_id)
    credit_ids = []
    if held.credit_delta:
        user_id = order.client_id if held.role == ActorRole.CLIENT else order.provider_id
        credit_ids = credit_events_write(
            [
                credit_event_build(
                    user_id=user_id,
                    delta=held.credit_delta,
                    reason=CreditReason.CANCELLATION,
                    order_id=order.pk,
                    actor=actor,
                    detail=detail,
                    at=at,
                )
            ]
        )
    cancellation.fault = Fault.CLIENT if held.role == ActorRole.CLIENT else Fault.PROVIDER
    cancellation.tier = held.tier[:80]
    cancellation.fee_to_platform = held.fee_to_platform
    cancellation.deposit_kept = from_deposit
    cancellation.credit_delta = held.credit_delta
    cancellation.credit_party = held.role if held.credit_delta else ""
    cancellation.counts_against_completion_rate = held.counts_against_completion_rate
    cancellation.counts_as_complaint = held.counts_as_complaint
    cancellation.save(
        update_fields=(
            "fault",
            "tier",
            "fee_to_platform",
            "deposit_kept",
            "credit_delta",
            "credit_party",
            "counts_against_completion_rate",
            "counts_as_complaint",
        )
    )
    restrictions = restrictions_apply_after_cancellations(
        provider_ids={order.provider_id} if held.counts_as_complaint else set()
    )
    return CancellationResult(
        order=order,
        cancellation=cancellation,
        ledger_transactions=list(LedgerTransaction.objects.filter(pk__in=ledger_ids)),
        refunds=[],
        credit_events=list(CreditEvent.objects.filter(pk__in=credit_ids).order_by("pk")),
        restrictions=restrictions,
    )


@transaction.atomic
def cancellation_claim_accepted(
    *, cancellation: Cancellation, client_responsible: bool, actor: User, detail: str
) -> CancellationResult:
    """An accepted claim: nothing held applies; a client-responsible one puts that ruling's
    consequences on the client (its credit change, the path that counts towards losing the right
    to post, and a compensation to the provider if the policy gives one, charged to the client)."""
    cancellation = Cancellation.objects.select_for_update().select_related("order__policy").get(pk=cancellation.pk)
    order = cancellation.order
    if not client_responsible:
        cancellation.fault = Fault.FORCE_MAJEURE
        cancellation.save(update_fields=("fault",))
        return CancellationResult(order, cancellation, [], [], [], [])
    # The order is closed already: the ruling's rule is read straight from the order's policy.
    rule = next(r for r in policy_rules(order.policy) if r.path == engine.Path.RULING_CLIENT)
    outcome = engine.outcome_for(rule, order.price)
    credit_ids = []
    if outcome.credit_delta and outcome.credit_party:
        credit_ids = credit_events_write(
            [
                credit_event_build(
                    user_id=order.client_id if outcome.credit_party == ActorRole.CLIENT else order.provider_id,
                    delta=outcome.credit_delta,
                    reason=CreditReason.RULING,
                    order_id=order.pk,
                    actor=actor,
                    detail=detail,
                    at=timezone.now(),
                )
            ]
        )
    if outcome.compensation_to_provider > 0:
        charge_create(
            order=order,
            amount=outcome.compensation_to_provider,
            credit=account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider),
            kind=LedgerTransactionKind.CANCELLATION,
            memo=f"Order #{order.pk}: compensation for the provider, client responsible (claim accepted)",
        )
    cancellation.path = engine.Path.RULING_CLIENT
    cancellation.fault = Fault.CLIENT
    cancellation.tier = (rule.label or rule.path)[:80]
    cancellation.compensation_to_provider = outcome.compensation_to_provider
    cancellation.credit_delta = outcome.credit_delta
    cancellation.credit_party = outcome.credit_party
    cancellation.save(
        update_fields=("path", "fault", "tier", "compensation_to_provider", "credit_delta", "credit_party")
    )
    restrictions = restrictions_apply_after_cancellations(client_ids={order.client_id})
    return CancellationResult(
        order=order,
        cancellation=cancellation,
        ledger_transactions=[],
        refunds=[],
        credit_events=list(CreditEvent.objects.filter(pk__in=credit_ids).order_by("pk")),
        restrictions=restrictions,
    )
