"""Clock-driven sweeps over orders: batched, state-filtered, safe to run twice at once.

Each sweep takes due rows in batches under ``select_for_update(skip_locked=True)``, decides
each with the same engine a person's action uses, writes the effects in bulk, commits, and
goes on until nothing is due; a rerun finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.batches import LockedBatch, claimed_batches, locked_batches, transitions_apply
from core.db import bulk_update_rows
from core.i18n import Joined, Moment, Translatable
from core.jobs import SweepResult
from core.models import ActorRole
from credit.selectors import accounts_with_a_level
from credit.services import credit_levels_record
from marketplace.notifications import notification_build, notifications_send

from .cancellation import CancelItem, attach_charge_payments, cancellation_decide, cancellations_execute
from .completion import completion_counts, provider_ids_with_orders
from .gateways import GatewayResult, gateway_get
from .ledger import account_for, ledger_build, ledger_post_many
from .models import (
    AccountKind,
    CancellationQuote,
    CancelReason,
    ChargeStatus,
    LedgerTransactionKind,
    Order,
    OrderPlacement,
    OrderState,
    PlacementStatus,
    Policy,
    Refund,
    RefundStatus,
)
from .refunds import charge_settle, charges_due
from .selectors import policy_in_force
from .services import PLACEMENT_CLAIM, order_auto_complete, order_placement_finish

BATCH = 1000
Due = Callable[[datetime], QuerySet[Order]]


def _policies() -> dict[int, Policy]:
    return {p.pk: p for p in Policy.objects.prefetch_related("rules")}


def _sweep(select: Callable[[dict[int, Policy]], Iterable[Due]], handle) -> SweepResult:
    """Run ``handle(batch, now)`` over locked batches of every due query ``select`` yields."""
    policies = _policies()
    done = 0
    for due in select(policies):
        for batch in locked_batches(due, size=BATCH):
            for order in batch:
                order.policy = policies[order.policy_id]  # one shared instance per policy: rules load once
            batch.handled = handle(batch, batch.now)
            done += batch.handled
    return SweepResult(processed=done)


# --- Auto-complete -------------------------------------------------------------------------


def _auto_complete_due(kind: str, state: str) -> SweepResult:
    done = 0
    last_id = 0
    while True:
        ids = list(
            Order.objects.filter(kind=kind, state=state, auto_complete_at__lte=timezone.now(), pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        last_id = ids[-1]
        for order_id in ids:
            if order_auto_complete(order_id=order_id) is not None:
                done += 1
    return SweepResult(processed=done)


def auto_complete_service_orders() -> SweepResult:
    """Complete delivered service orders the client left unanswered past the policy's window."""
    return _auto_complete_due("service", OrderState.DELIVERED)


def auto_complete_shift_orders() -> SweepResult:
    """Complete checked-in shifts the client did not confirm within the policy's window."""
    return _auto_complete_due("shift", OrderState.CHECKED_IN)


# --- Late orders ---------------------------------------------------------------------------


def _mark_late(batch: list[Order], now) -> int:
    notices = []
    late_reason = Translatable(gettext_noop("The due time passed without a delivery"))
    late_title = gettext_noop("Order #%(id)s “%(title)s” is late")
    late_body = gettext_noop(
        "It was due %(due)s. Deliver as soon as possible or agree an extension; from %(force)s the client "
        "may cancel it without the provider's consent."
    )
    transitions_apply(batch, "mark_late", at=now, actor_role=ActorRole.SYSTEM, reason=late_reason)
    for order in batch:
        force_from = order.due_at + timedelta(hours=order.policy.late_grace_hours)
        title = Translatable(late_title, {"id": order.pk, "title": order.title})
        body = Translatable(late_body, {"due": Moment(order.due_at), "force": Moment(force_from)})
        notices += [
            notification_build(user_id=uid, kind="order_late", title=title, body=body, order_id=order.pk, at=now)
            for uid in (order.client_id, order.provider_id)
        ]
    notifications_send(notices)
    return len(batch)


def mark_late_orders() -> SweepResult:
    """Mark in-progress service orders past their due time as late, and tell both parties."""
    return _sweep(
        lambda policies: [lambda now: Order.objects.filter(state=OrderState.IN_PROGRESS, due_at__lte=now)],
        _mark_late,
    )


# --- System cancellations ------------------------------------------------------------------


def _system_cancel(reason: str) -> Callable[[list[Order], object], int]:
    def handle(batch: list[Order], now) -> int:
        items = []
        for order in batch:
            decision = cancellation_decide(order=order, actor_role="system", now=now)
            if decision.allowed:
                items.append(CancelItem(order, decision, None, ActorRole.SYSTEM, reason))
        attach_charge_payments([i.order for i in items])
        cancellations_execute(items, now=now)
        return len(items)

    return handle


def cancel_no_shows() -> SweepResult:
    """Cancel booked shifts whose worker did not check in within the no-show window."""

    def select(policies):
        for policy in policies.values():
            yield lambda now, policy=policy: Order.objects.filter(
                policy=policy,
                state=OrderState.BOOKED,
                starts_at__lte=now - timedelta(minutes=policy.no_show_minutes),
            )

    return _sweep(select, _system_cancel(CancelReason.NO_SHOW))


def close_orders_without_requirements() -> SweepResult:
    """Close service orders whose client never sent requirements, without penalty to anyone."""

    def select(policies):
        for policy in policies.values():
            yield lambda now, policy=policy: Order.objects.filter(
                policy=policy,
                state=OrderState.AWAITING_REQUIREMENTS,
                created_at__lte=now - timedelta(days=policy.requirements_timeout_days),
            )

    return _sweep(select, _system_cancel(CancelReason.NO_REQUIREMENTS))


# --- Refunds -------------------------------------------------------------------------------

RETRY_BASE = timedelta(hours=1)
# Refunds claimed at a time, and for how long: time for the batch's payouts at over 3 s a call.
# A claim that runs out is safe, only wasteful: another run pays out again with the same keys.
REFUND_BATCH = 500
REFUND_CLAIM = timedelta(minutes=30)
REFUND_FIELDS = [
    "status",
    "attempts",
    "settled_at",
    "gateway_reference",
    "failure_reason",
    "settle_after",
    "claimed_until",
    "updated_at",
]


def _refunds_due(now: datetime) -> QuerySet[Refund]:
    return (
        Refund.objects.filter(status__in=(RefundStatus.PENDING, RefundStatus.FAILED), settle_after__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))  # or left by a stopped run
        .select_related("payment")
        .annotate(client_id=F("order__client_id"))
    )


def _refunds_claim(batch: LockedBatch) -> None:
    """Mark the batch's payouts as under way: one more attempt each, until the claim runs out."""
    until = batch.now + REFUND_CLAIM
    Refund.objects.filter(pk__in=[r.pk for r in batch]).update(
        attempts=F("attempts") + 1, claimed_until=until, updated_at=batch.now
    )
    for refund in batch:
        refund.attempts += 1
        refund.claimed_until = until


def settle_refunds() -> SweepResult:
    """Pay out refunds whose settlement time has come; a failed one is retried with back-off.

    The gateway is called outside any transaction, like the webhook sender: a batch is claimed
    and committed, each refund is paid out with its own idempotency key, then the answers are
    recorded. A run stopped before recording leaves its claims; when they run out the next
    run pays those refunds out again with the same keys, and the gateway answers with the
    payouts it already made instead of paying twice.
    """
    gateway = gateway_get()
    settled = failed = 0
    accounts: dict[tuple[str, str], object] = {}
    for batch in claimed_batches(_refunds_due, size=REFUND_BATCH, claim=_refunds_claim):
        answers = []
        try:
            for refund in batch:
                result = gateway.refund(
                    charge_reference=refund.payment.reference,
                    amount=refund.amount,
                    currency=refund.currency,
                    idempotency_key=f"refund-{refund.pk}",
                )
                answers.append((refund, result))
        finally:  # what was answered is recorded even when a call raised
            s, f = _refunds_record(answers, accounts)
        settled += s
        failed += f
    return SweepResult(processed=settled, detail=f"{failed} failed, will retry" if failed else "")


@transaction.atomic
def _refunds_record(answers: list[tuple[Refund, GatewayResult]], accounts: dict) -> tuple[int, int]:
    """Write the gateway's answers for refunds still claimed by this run; returns (settled, failed)."""

    def account(kind: str, currency: str):
        if (kind, currency) not in accounts:
            accounts[(kind, currency)] = account_for(kind=kind, currency=currency)
        return accounts[(kind, currency)]

    now = timezone.now()
    claims = {refund.pk: refund.claimed_until for refund, _result in answers}
    # A refund whose claim ran out and was taken over is recorded by the run that holds it now.
    locked = Refund.objects.select_for_update().filter(pk__in=claims).values_list("pk", "claimed_until")
    ours = {pk for pk, claimed_until in locked if claimed_until == claims[pk]}
    recorded, ledger, notices = [], [], []
    settled = failed = 0
    for refund, result in answers:
        if refund.pk not in ours:
            continue
        recorded.append(refund)
        refund.claimed_until = None
        refund.updated_at = now
        if result.ok:
            refund.status = RefundStatus.SETTLED
            refund.settled_at = now
            refund.gateway_reference = result.reference
            refund.failure_reason = ""
            settled += 1
            notices.append(
                notification_build(
                    user_id=refund.client_id,
                    kind="refund_settled",
                    title=Translatable(
                        gettext_noop("Your refund of %(amount)s %(cur)s was paid back"),
                        {"amount": refund.amount, "cur": refund.currency},
                    ),
                    body=Translatable(gettext_noop("It went back to %(method)s."), {"method": refund.payment.method}),
                    order_id=refund.order_id,
                    at=now,
                )
            )
            ledger.append(
                ledger_build(
                    kind=LedgerTransactionKind.REFUND_SETTLED,
                    currency=refund.currency,
                    order_id=refund.order_id,
                    memo=f"Refund {result.reference}",
                    lines=[
                        (account(AccountKind.REFUNDS, refund.currency), refund.amount),
                        (account(AccountKind.GATEWAY, refund.currency), -refund.amount),
                    ],
                )
            )
        else:
            refund.status = RefundStatus.FAILED
            refund.failure_reason = result.failure_reason[:255]
            refund.settle_after = now + RETRY_BASE * (2 ** min(refund.attempts - 1, 6))
            failed += 1
    bulk_update_rows(recorded, REFUND_FIELDS)
    ledger_post_many(ledger)
    notifications_send(notices)
    return settled, failed


# --- Charges ---------------------------------------------------------------------------------

CHARGE_BATCH = 100


def settle_charges() -> SweepResult:
    """Make the charges of clients that are due: new ones a task did not make, declined ones again.

    Each is claimed, charged outside any transaction with its own idempotency key, and
    recorded (``orders.refunds.charge_settle``); a run stopped in between is taken over when
    its claim runs out, and the gateway answers the same key with the charge it already made.
    """
    charged = failed = 0
    while True:
        ids = list(
            charges_due(timezone.now()).order_by("charge_after", "pk").values_list("pk", flat=True)[:CHARGE_BATCH]
        )
        done = [charge_settle(charge_id=pk) for pk in ids]
        charged += sum(1 for c in done if c is not None and c.status == ChargeStatus.CHARGED)
        failed += sum(1 for c in done if c is not None and c.status == ChargeStatus.FAILED)
        if len(ids) < CHARGE_BATCH or not any(done):
            break
    return SweepResult(processed=charged, detail=f"{failed} declined, will retry" if failed else "")


# --- Orders whose placement was cut off -----------------------------------------------------

PLACEMENT_BATCH = 100


def _placements_due(now: datetime) -> QuerySet[OrderPlacement]:
    return OrderPlacement.objects.filter(
        status__in=(PlacementStatus.CHARGING, PlacementStatus.REFUNDING), claimed_until__lte=now
    ).select_related("listing")


def _placements_claim(batch: LockedBatch) -> None:
    OrderPlacement.objects.filter(pk__in=[p.pk for p in batch]).update(claimed_until=batch.now + PLACEMENT_CLAIM)


def resume_order_placements() -> SweepResult:
    """Finish orders whose request stopped between a call to the payment gateway and its record.

    Each call is made again with the placement's idempotency key, outside any transaction: the
    gateway answers with what it already did (or does what never reached it), and the outcome
    is recorded as the request would have: the order, the decline, or the charge given back.
    """
    done = placed = 0
    for batch in claimed_batches(_placements_due, size=PLACEMENT_BATCH, claim=_placements_claim):
        for placement in batch:
            placement = order_placement_finish(placement=placement)
            done += placement.status not in (PlacementStatus.CHARGING, PlacementStatus.REFUNDING)
            placed += placement.status == PlacementStatus.PLACED
    return SweepResult(processed=done, detail=f"{placed} placed" if done else "")


QUOTE_KEEP_DAYS = 7


def purge_stale_quotes() -> SweepResult:
    """Delete cancellation quotes that expired a week ago unused; used ones stay as evidence.

    Quotes are signed tokens now (``orders.quotes``) and only a used one is stored, so this
    clears what was stored unused before; it finds nothing after that."""
    cutoff = timezone.now() - timedelta(days=QUOTE_KEEP_DAYS)
    deleted, _ = CancellationQuote.objects.filter(valid_until__lt=cutoff, cancellation__isnull=True).delete()
    return SweepResult(processed=deleted)


# --- Seller levels ---------------------------------------------------------------------------


def recompute_levels() -> SweepResult:
    """Recount every provider's completion numbers in the window and hand credit their levels.

    Batched, and equal to a from-scratch computation: only accounts whose numbers or level
    moved are written (and counted), so a rerun reports 0.
    """
    policy = policy_in_force()
    now = timezone.now()
    ids = sorted(provider_ids_with_orders() | accounts_with_a_level())
    changed = 0
    for start in range(0, len(ids), BATCH):
        numbers = completion_counts(ids[start : start + BATCH], now=now, policy=policy)
        changed += credit_levels_record(numbers=numbers, policy=policy, now=now)
    return SweepResult(processed=changed)


# --- Shift reminders -----------------------------------------------------------------------


def _terms_for(order: Order, role: str, now) -> Translatable:
    """What cancelling the shift would do from ``now`` for ``role``, in a sentence."""
    decision = cancellation_decide(order=order, actor_role=role, now=now)
    if not decision.allowed or decision.outcome is None:
        return Translatable(gettext_noop("it can no longer be cancelled on the policy's terms."), {})
    outcome = decision.outcome
    money = f"{{}} {order.currency}"
    if role == "provider":
        if outcome.fee_to_platform or outcome.credit_delta:
            return Translatable(
                gettext_noop("a fee of %(fee)s and %(credit)s credit points (%(tier)s)."),
                {
                    "fee": money.format(outcome.fee_to_platform),
                    "credit": outcome.credit_delta if outcome.credit_party == "provider" else 0,
                    "tier": Translatable(decision.tier),
                },
            )
        return Translatable(gettext_noop("free of any fee (%(tier)s)."), {"tier": Translatable(decision.tier)})
    return Translatable(
        gettext_noop("you are refunded %(refund)s of %(price)s (%(tier)s)."),
        {
            "refund": money.format(outcome.refund_to_client),
            "price": money.format(order.price),
            "tier": Translatable(decision.tier),
        },
    )


def _remind(batch: list[Order], now, field: str) -> int:
    notices = []
    for order in batch:
        where = {"title": order.title, "at": Moment(order.starts_at), "place": order.location}
        for role, user_id in (("provider", order.provider_id), ("client", order.client_id)):
            notices.append(
                notification_build(
                    user_id=user_id,
                    kind="shift_reminder",
                    title=Translatable(gettext_noop("“%(title)s” starts %(at)s at %(place)s"), where),
                    body=Joined(
                        " ",
                        [
                            Translatable(gettext_noop("If you cancel from now on:"), {}),
                            _terms_for(order, role, now),
                        ],
                    ),
                    order_id=order.pk,
                    at=now,
                )
            )
    Order.objects.filter(pk__in=[o.pk for o in batch]).update(**{field: now})
    notifications_send(notices)
    return len(batch)


def send_shift_reminders() -> SweepResult:
    """Remind both sides of a booked shift before it starts — at the policy's first reminder (24 h)
    and last reminder (2 h) — each with what cancelling would cost them from then on: the moment a
    late cancellation or a no-show happens. Each reminder once; batched per policy version."""

    def select(policies: dict[int, Policy]):
        for policy in policies.values():
            # The last reminder first: a shift booked inside its hours gets that one only.
            for hours, field, also_unset in (
                (policy.shift_last_reminder_hours, "last_reminder_at", None),
                (policy.shift_first_reminder_hours, "first_reminder_at", "last_reminder_at"),
            ):
                if not hours:
                    continue

                def due(now, policy=policy, hours=hours, field=field, also_unset=also_unset):
                    rows = Order.objects.filter(
                        policy=policy,
                        kind="shift",
                        state=OrderState.BOOKED,
                        starts_at__gt=now,
                        starts_at__lte=now + timedelta(hours=hours),
                        **{f"{field}__isnull": True},
                    )
                    # Booked inside the last reminder's hours: the first one would only repeat it.
                    return rows.filter(**{f"{also_unset}__isnull": True}) if also_unset else rows

                yield field, due

    policies = _policies()
    done = 0
    for field, due in select(policies):
        for batch in locked_batches(due, size=BATCH):
            for order in batch:
                order.policy = policies[order.policy_id]
            batch.handled = _remind(list(batch), batch.now, field)
            done += batch.handled
    return SweepResult(processed=done)


# --- Confirmation before a shift (a policy option) ------------------------------------------------


def _confirmation_release(order: Order) -> datetime:
    return order.starts_at - timedelta(hours=order.policy.shift_confirm_release_hours)


def _ask_confirmation(batch: list[Order], now) -> int:
    notices = []
    for order in batch:
        release = _confirmation_release(order)
        notices.append(
            notification_build(
                user_id=order.provider_id,
                kind="shift_confirm",
                title=Translatable(
                    gettext_noop("Confirm you will come to “%(title)s” (%(at)s)"),
                    {"title": order.title, "at": Moment(order.starts_at)},
                ),
                body=Joined(
                    " ",
                    [
                        Translatable(
                            gettext_noop(
                                "Confirm on the order's page by %(release)s. Unconfirmed, the place goes to the "
                                "waitlist then and counts as your cancellation at that moment:"
                            ),
                            {"release": Moment(release)},
                        ),
                        _terms_for(order, "provider", release),
                    ],
                ),
                order_id=order.pk,
                at=now,
            )
        )
    Order.objects.filter(pk__in=[o.pk for o in batch]).update(confirmation_asked_at=now)
    notifications_send(notices)
    return len(batch)


def _release_unconfirmed(batch: list[Order], now) -> int:
    """Unconfirmed in time: cancelled as the worker's cancellation at this moment (its tier)."""
    items = []
    for order in batch:
        decision = cancellation_decide(order=order, actor_role="provider", now=now)
        if decision.allowed:
            items.append(
                CancelItem(
                    order,
                    decision,
                    None,
                    ActorRole.SYSTEM,
                    CancelReason.OTHER,
                    message=str(Translatable(gettext_noop("Not confirmed in time"))),
                )
            )
    attach_charge_payments([i.order for i in items])
    cancellations_execute(items, now=now)
    return len(items)


def shift_confirmations() -> SweepResult:
    """Under a policy that asks workers to confirm: ask them the policy's hours before the start
    (48), and release a place still unconfirmed at the release hours (16) — to the waitlist, as
    the worker's cancellation at that moment. Batched per policy version."""
    policies = _policies()
    done = 0
    for policy in policies.values():
        if not policy.shift_confirmation_required:
            continue

        def release_due(now, policy=policy):
            return Order.objects.filter(
                policy=policy,
                kind="shift",
                state=OrderState.BOOKED,
                confirmed_at__isnull=True,
                confirmation_asked_at__isnull=False,  # booked after the release time: never asked, kept
                starts_at__gt=now,
                starts_at__lte=now + timedelta(hours=policy.shift_confirm_release_hours),
            )

        def ask_due(now, policy=policy):
            return Order.objects.filter(
                policy=policy,
                kind="shift",
                state=OrderState.BOOKED,
                confirmed_at__isnull=True,
                confirmation_asked_at__isnull=True,
                starts_at__gt=now + timedelta(hours=policy.shift_confirm_release_hours),
                starts_at__lte=now + timedelta(hours=policy.shift_confirm_ask_hours),
            )

        for due, handle in ((release_due, _release_unconfirmed), (ask_due, _ask_confirmation)):
            for batch in locked_batches(due, size=BATCH):
                for order in batch:
                    order.policy = policies[order.policy_id]
                batch.handled = handle(list(batch), batch.now)
                done += batch.handled
    return SweepResult(processed=done)
