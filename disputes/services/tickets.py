"""After-sales tickets: the only code that writes them, moves their money and tells people.

A party of a completed order files a ticket within the policy's after-sales days; agents
(staff) review, approve with a compensation or reject, pay, process and resolve it in the
back office. Every action locks the ticket, re-checks its state, runs the pure transition,
saves, writes the transition log and notifies the other party and the agent (in the app and
by e-mail, after the commit).

Cancelling depends on the state the ticket is in (PRODUCT.md, "After-sales tickets"):

* ``pending_review`` / ``under_review``: cancelled at once; the assigned agent is told.
* ``approved``: the other party or an agent must confirm (an agent asking cancels at once,
  being the confirmer); compensation already paid is reversed.
* ``processing``: the provider must accept, because work or a return may be under way. When
  the provider is the one asking, the client or an agent confirms instead.

A cancellation waiting for its confirmation is stored on the ticket (``cancel_requested_at``,
``cancel_requested_by``, ``cancel_reason``, ``cancel_message``); refusing it clears those, so
the state shown is always the state stored.

Where the compensation money comes from and goes to (every movement one balanced ledger
transaction):

* quality problem, rework, partial refund — the client is compensated from the provider's
  balance, paid out exactly like a cancellation's refund. Paying moves the amount from the
  provider's account to "refunds owed to clients" (``ticket_compensation``) and writes a
  pending ``orders.Refund`` (``orders.refunds.refund_create``), which the settlement sweep
  pays to the client's original payment method after the policy's business days, retrying
  on failure (``refund_settled``: refunds owed → gateway). A cancellation before the payout
  cancels the refund and moves the amount back to the provider
  (``ticket_compensation_reversal``: refunds owed → provider); after the payout the money
  is with the client, so the client's payment method is charged back through the gateway
  (``ticket_compensation_reversal``: gateway → provider).
* unpaid wages — the provider is paid by the client: the client's payment method is charged
  through the payment gateway (``orders.refunds.payment_charge``: a ``Payment`` row, and
  gateway → provider's account, ``ticket_compensation``); a cancellation takes the amount
  back from the provider's account and refunds that charge like any refund
  (``ticket_compensation_reversal``: provider → refunds owed, and a pending ``Refund`` of the
  wages charge that the settlement sweep pays out).

The platform's own account is never used: the platform neither pays nor keeps compensation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core.audit import transition_log_write
from core.exceptions import Conflict, NotFound, PaymentFailed, PermissionDenied, ValidationFailed
from core.i18n import Joined, Text, Translatable
from core.models import ActorRole
from core.uploads import upload_check
from disputes.models import (
    AfterSalesTicket,
    Evidence,
    TicketCancelReason,
    TicketState,
    TicketType,
    TicketVersion,
)
from marketplace.models import User
from marketplace.notifications import notify
from orders.gateways import gateway_get
from orders.ledger import account_for, ledger_post
from orders.models import AccountKind, LedgerTransactionKind, Order, OrderState, money
from orders.refunds import payment_charge, refund_cancel, refund_create
from orders.services import order_lock

MAX_TEXT = 20_000
MAX_EVIDENCE_DESCRIPTION = 500
EVIDENCE_TYPES = ("image", "pdf")
LIVE_STATES = (TicketState.PENDING_REVIEW, TicketState.UNDER_REVIEW, TicketState.APPROVED, TicketState.PROCESSING)
CANCEL_AT_ONCE_STATES = (TicketState.PENDING_REVIEW, TicketState.UNDER_REVIEW)
# Which party files which type, and so who receives a compensation.
PROVIDER_TYPES = (TicketType.UNPAID_WAGES,)


# --- Rules as pure functions (the pages and the API ask them too) ----------------------------


@dataclass(frozen=True)
class TicketWindow:
    """Whether ``user`` may file a ticket on an order now, and if not, why."""

    allowed: bool
    code: str = ""
    message: str = ""
    until: datetime | None = None


def ticket_window(*, order: Order, user: User, now: datetime | None = None) -> TicketWindow:
    """Can ``user`` file an after-sales ticket on ``order`` now? (Not counting tickets already open.)"""
    now = now or timezone.now()
    if order.role_of(user) is None:
        return TicketWindow(False, "not_a_party", _("Only the client or the provider of an order can file a ticket."))
    if order.state != OrderState.COMPLETED or order.completed_at is None:
        if order.state == OrderState.CANCELLED:
            message = _("This order was cancelled: after-sales tickets are for completed orders.")
        else:
            message = _("After-sales tickets can be filed once the order is completed.")
        return TicketWindow(False, "order_not_completed", message)
    until = order.completed_at + timedelta(days=order.policy.after_sales_days)
    if now > until:
        message = _("The after-sales window of %(days)d days closed on %(at)s.") % {
            "days": order.policy.after_sales_days,
            "at": timezone.localtime(until).strftime("%Y-%m-%d %H:%M %Z"),
        }
        return TicketWindow(False, "after_sales_window_closed", message, until)
    return TicketWindow(True, until=until)


def ticket_types_for(role: str | None) -> list[tuple[str, str]]:
    """The ticket types a party in ``role`` can file: unpaid wages for providers, the rest for clients."""
    if role == ActorRole.PROVIDER:
        return [c for c in TicketType.choices if c[0] in PROVIDER_TYPES]
    if role == ActorRole.CLIENT:
        return [c for c in TicketType.choices if c[0] not in PROVIDER_TYPES]
    return []


def compensation_recipient(ticket: AfterSalesTicket) -> str:
    """``"provider"`` for unpaid wages, ``"client"`` for every other type."""
    return ActorRole.PROVIDER if ticket.type in PROVIDER_TYPES else ActorRole.CLIENT


def ticket_role(ticket: AfterSalesTicket, user: User | None) -> str | None:
    """``client``, ``provider`` or ``support`` (staff) on this ticket; None for anyone else."""
    if user is None or not user.is_authenticated:
        return None
    role = ticket.order.role_of(user)
    if role is not None:
        return role
    return ActorRole.SUPPORT if user.is_staff else None


def cancel_needs_confirmation(ticket: AfterSalesTicket, requester_role: str) -> tuple[str, ...]:
    """Who must confirm a cancellation ``requester_role`` asks for now; () when it happens at once.

    The answer holds roles: ``client``, ``provider``, ``support``.
    """
    if ticket.state in CANCEL_AT_ONCE_STATES:
        return ()
    if ticket.state == TicketState.APPROVED:
        if requester_role == ActorRole.SUPPORT:
            return ()
        other = ActorRole.PROVIDER if requester_role == ActorRole.CLIENT else ActorRole.CLIENT
        return (other, ActorRole.SUPPORT)
    if ticket.state == TicketState.PROCESSING:
        if requester_role == ActorRole.PROVIDER:
            return (ActorRole.CLIENT, ActorRole.SUPPORT)
        return (ActorRole.PROVIDER,)
    return ()


def cancel_confirmers(ticket: AfterSalesTicket) -> tuple[str, ...]:
    """Who may confirm or refuse the pending cancellation of ``ticket`` (() if none is pending)."""
    if not ticket.cancel_pending:
        return ()
    requester_role = _requester_role(ticket)
    return cancel_needs_confirmation(ticket, requester_role)


def can_cancel(ticket: AfterSalesTicket, user: User | None) -> bool:
    """May ``user`` ask to cancel ``ticket`` now (its author or an agent, while it is live)?"""
    role = ticket_role(ticket, user)
    if role is None or ticket.state not in LIVE_STATES or ticket.cancel_pending:
        return False
    return role == ActorRole.SUPPORT or ticket.opened_by_id == user.pk


def can_confirm_cancel(ticket: AfterSalesTicket, user: User | None) -> bool:
    role = ticket_role(ticket, user)
    return role is not None and role in cancel_confirmers(ticket) and user.pk != ticket.cancel_requested_by_id


def _requester_role(ticket: AfterSalesTicket) -> str:
    requester_id = ticket.cancel_requested_by_id
    if requester_id == ticket.order.client_id:
        return ActorRole.CLIENT
    if requester_id == ticket.order.provider_id:
        return ActorRole.PROVIDER
    return ActorRole.SUPPORT


# --- Plumbing --------------------------------------------------------------------------------


def ticket_lock(*, ticket_id: int) -> AfterSalesTicket:
    """Re-read the ticket under a row lock (with its order and parties); call inside a transaction."""
    try:
        return (
            AfterSalesTicket.objects.select_for_update(of=("self",))
            .select_related("order__policy", "order__client", "order__provider", "assignee", "opened_by")
            .get(pk=ticket_id)
        )
    except AfterSalesTicket.DoesNotExist:
        raise NotFound(_("No such ticket.")) from None


def _lock_for(ticket: AfterSalesTicket, actor: User) -> tuple[AfterSalesTicket, str]:
    ticket = ticket_lock(ticket_id=ticket.pk)
    role = ticket_role(ticket, actor)
    if role is None:
        raise NotFound(_("No such ticket."))
    return ticket, role


def _require_agent(role: str) -> None:
    if role != ActorRole.SUPPORT:
        raise PermissionDenied(_("Only support agents can do this."), code="not_an_agent")


def _refuse(ticket: AfterSalesTicket, action: str) -> Conflict:
    message = _("You cannot %(action)s a ticket that is %(state)s.") % {
        "action": action,
        "state": ticket.get_state_display(),
    }
    return Conflict(message, code="invalid_transition", extra={"state": ticket.state})


def _refuse_while_cancel_pending(ticket: AfterSalesTicket) -> None:
    if ticket.cancel_pending:
        raise Conflict(
            _("A cancellation of this ticket waits for confirmation: confirm or refuse it first."),
            code="cancel_pending",
            extra={"state": ticket.state},
        )


def _text(value: str | None, field: str, *, required: bool, label: str = "", limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(label, errors={field: [label]})
    if len(value) > limit:
        message = _("At most %(n)d characters.") % {"n": limit}
        raise ValidationFailed(message, errors={field: [message]})
    return value


def _log(ticket: AfterSalesTicket, name: str, from_state: str, *, actor: User, role: str, reason: str = "", at=None):
    transition_log_write(
        subject=ticket,
        transition=name,
        from_state=from_state,
        to_state=ticket.state,
        actor=actor,
        actor_role=role,
        reason=reason,
        at=at,
    )


def _tell(
    ticket: AfterSalesTicket, *, users: Iterable[User | None], actor: User, kind: str, title: Text, body: Text = ""
):
    """Notify each of ``users`` but the actor (once each), in the app and by e-mail after commit."""
    seen: set[int] = set()
    recipients = []
    for user in users:
        if user is None or user.pk == actor.pk or user.pk in seen:
            continue
        seen.add(user.pk)
        recipients.append(user)
    if recipients:
        notify(users=recipients, kind=kind, title=title, body=body, order=ticket.order)


def _parties(ticket: AfterSalesTicket) -> list[User]:
    return [ticket.order.client, ticket.order.provider]


def _everyone(ticket: AfterSalesTicket) -> list[User | None]:
    return [*_parties(ticket), ticket.assignee]


def _title(msgid: str, ticket: AfterSalesTicket) -> Translatable:
    return Translatable(msgid, {"id": ticket.pk, "order": ticket.order_id})


def _store_evidence(ticket: AfterSalesTicket, actor: User, checked, description: str, at) -> list[Evidence]:
    return [
        Evidence.objects.create(
            ticket=ticket,
            uploaded_by=actor,
            file=upload,
            name=upload.name[:255],
            content_type=kind,
            size=upload.size,
            description=description,
            created_at=at,
        )
        for upload, kind in checked
    ]


# --- Filing and editing ----------------------------------------------------------------------


def _clean_type(value: str, role: str) -> str:
    allowed = dict(ticket_types_for(role))
    if value not in allowed:
        if value in TicketType.values:
            message = (
                _("Only the provider of an order can report unpaid wages.")
                if value in PROVIDER_TYPES
                else _("Providers can report unpaid wages; the other types are for the client.")
            )
        else:
            message = _("Choose one of: %(types)s.") % {"types": ", ".join(allowed)}
        raise ValidationFailed(message, code="invalid", errors={"type": [message]})
    return value


@transaction.atomic
def ticket_open(
    *,
    order: Order,
    actor: User,
    type: str,
    description: str,
    files: Sequence[UploadedFile] = (),
) -> AfterSalesTicket:
    """File an after-sales ticket on a completed order, within the policy's days, with optional evidence."""
    order = order_lock(order_id=order.pk)
    role = order.role_of(actor)
    if role is None:
        raise NotFound(_("No such order."))
    now = timezone.now()
    window = ticket_window(order=order, user=actor, now=now)
    if not window.allowed:
        raise Conflict(window.message, code=window.code)
    type = _clean_type(type, role)
    description = _text(description, "description", required=True, label=_("Describe the problem."))
    checked = [upload_check(f, allowed=EVIDENCE_TYPES, field="files") for f in files]
    if AfterSalesTicket.objects.filter(order=order, opened_by=actor, state__in=LIVE_STATES).exists():
        raise Conflict(
            _("You already have an open ticket on this order: add to it or cancel it first."),
            code="ticket_already_open",
        )
    ticket = AfterSalesTicket(
        order=order, opened_by=actor, opened_by_role=role, type=type, description=description, created_at=now
    )
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError:  # the database's one-live-ticket rule, when two requests race
        raise Conflict(
            _("You already have an open ticket on this order: add to it or cancel it first."),
            code="ticket_already_open",
        ) from None
    TicketVersion.objects.create(
        ticket=ticket, version=1, type=type, description=description, edited_by=actor, created_at=now
    )
    _store_evidence(ticket, actor, checked, "", now)
    _log(ticket, "open", "", actor=actor, role=role, reason=ticket.get_type_display(), at=now)
    other = order.provider if role == ActorRole.CLIENT else order.client
    _tell(
        ticket,
        users=[other],
        actor=actor,
        kind="ticket_opened",
        title=_title(gettext_noop("After-sales ticket #%(id)s filed on order #%(order)s"), ticket),
        body=description,
    )
    return ticket


@transaction.atomic
def ticket_edit(
    *, ticket: AfterSalesTicket, actor: User, type: str | None = None, description: str | None = None
) -> AfterSalesTicket:
    """Change a ticket's type or description while it waits for review; every version is kept."""
    ticket, role = _lock_for(ticket, actor)
    if ticket.opened_by_id != actor.pk:
        raise PermissionDenied(_("Only who filed the ticket can edit it."), code="wrong_party")
    if ticket.state != TicketState.PENDING_REVIEW:
        raise Conflict(
            _("A ticket can be edited only while it is pending review; this one is %(state)s.")
            % {"state": ticket.get_state_display()},
            code="ticket_not_editable",
            extra={"state": ticket.state},
        )
    new_type = ticket.type if type is None else _clean_type(type, role)
    new_description = (
        ticket.description
        if description is None
        else _text(description, "description", required=True, label=_("Describe the problem."))
    )
    if (new_type, new_description) == (ticket.type, ticket.description):
        return ticket  # nothing changed: no new version
    now = timezone.now()
    ticket.type, ticket.description, ticket.version = new_type, new_description, ticket.version + 1
    ticket.save(update_fields=("type", "description", "version", "updated_at"))
    TicketVersion.objects.create(
        ticket=ticket,
        version=ticket.version,
        type=new_type,
        description=new_description,
        edited_by=actor,
        created_at=now,
    )
    _tell(
        ticket,
        users=_everyone(ticket),
        actor=actor,
        kind="ticket_edited",
        title=_title(gettext_noop("After-sales ticket #%(id)s was edited"), ticket),
        body=new_description,
    )
    return ticket


@transaction.atomic
def ticket_add_evidence(
    *, ticket: AfterSalesTicket, actor: User, file: UploadedFile, description: str = ""
) -> Evidence:
    """Add an evidence file (image or PDF, up to 10 MB) to a live ticket: its parties or an agent."""
    ticket, _role = _lock_for(ticket, actor)
    description = _text(description, "description", required=False, limit=MAX_EVIDENCE_DESCRIPTION)
    if file is None:
        message = _("Choose a file.")
        raise ValidationFailed(message, errors={"file": [message]})
    checked = upload_check(file, allowed=EVIDENCE_TYPES, field="file")
    if ticket.state not in LIVE_STATES:
        raise Conflict(
            _("Evidence can be added only to an open ticket; this one is %(state)s.")
            % {"state": ticket.get_state_display()},
            code="ticket_closed",
            extra={"state": ticket.state},
        )
    (evidence,) = _store_evidence(ticket, actor, [checked], description, timezone.now())
    _tell(
        ticket,
        users=_everyone(ticket),
        actor=actor,
        kind="ticket_evidence",
        title=_title(gettext_noop("New evidence on after-sales ticket #%(id)s"), ticket),
        body=evidence.name,
    )
    return evidence


# --- Agents ------------------------------------------------------------------------------------


@transaction.atomic
def ticket_start_review(*, ticket: AfterSalesTicket, actor: User) -> AfterSalesTicket:
    """An agent takes the ticket and starts reviewing it: pending_review → under_review."""
    ticket, role = _lock_for(ticket, actor)
    _require_agent(role)
    if ticket.state == TicketState.UNDER_REVIEW and ticket.assignee_id == actor.pk:
        return ticket
    if not can_proceed(ticket.start_review):
        raise _refuse(ticket, _("start reviewing"))
    from_state = ticket.state
    ticket.start_review(agent=actor)
    ticket.save(update_fields=("state", "assignee", "updated_at"))
    _log(ticket, "start_review", from_state, actor=actor, role=role, reason=_("Review started"))
    _tell(
        ticket,
        users=_parties(ticket),
        actor=actor,
        kind="ticket_under_review",
        title=_title(gettext_noop("After-sales ticket #%(id)s is being reviewed"), ticket),
    )
    return ticket


def _clean_compensation(value, ticket: AfterSalesTicket) -> Decimal:
    try:
        amount = money(Decimal(str(value if value not in (None, "") else 0)))
    except (InvalidOperation, ValueError, TypeError):
        amount = Decimal(-1)
    if not Decimal(0) <= amount <= ticket.order.price:
        message = _("Compensation is between 0 and the order's price (%(price)s %(cur)s).") % {
            "price": ticket.order.price,
            "cur": ticket.order.currency,
        }
        raise ValidationFailed(message, errors={"compensation": [message]})
    return amount


@transaction.atomic
def ticket_approve(*, ticket: AfterSalesTicket, actor: User, compensation, note: str) -> AfterSalesTicket:
    """An agent approves with a compensation (0 up to the order's price): under_review → approved."""
    ticket, role = _lock_for(ticket, actor)
    _require_agent(role)
    amount = _clean_compensation(compensation, ticket)
    note = _text(note, "note", required=True, label=_("Tell the parties why."))
    if not can_proceed(ticket.approve):
        raise _refuse(ticket, _("approve"))
    from_state = ticket.state
    ticket.approve(compensation=amount, note=note)
    if ticket.assignee_id is None:
        ticket.assignee = actor
    ticket.save(update_fields=("state", "compensation", "decision_note", "assignee", "updated_at"))
    _log(ticket, "approve", from_state, actor=actor, role=role, reason=note)
    _tell(
        ticket,
        users=_parties(ticket),
        actor=actor,
        kind="ticket_approved",
        title=Translatable(
            gettext_noop("After-sales ticket #%(id)s approved: compensation %(amount)s %(cur)s"),
            {"id": ticket.pk, "amount": amount, "cur": ticket.order.currency},
        ),
        body=note,
    )
    return ticket


@transaction.atomic
def ticket_reject(*, ticket: AfterSalesTicket, actor: User, note: str) -> AfterSalesTicket:
    """An agent rejects the ticket with the reasons: under_review → rejected."""
    ticket, role = _lock_for(ticket, actor)
    _require_agent(role)
    note = _text(note, "note", required=True, label=_("Tell the parties why."))
    if not can_proceed(ticket.reject):
        raise _refuse(ticket, _("reject"))
    from_state = ticket.state
    ticket.reject(note=note)
    if ticket.assignee_id is None:
        ticket.assignee = actor
    ticket.save(update_fields=("state", "decision_note", "assignee", "updated_at"))
    _log(ticket, "reject", from_state, actor=actor, role=role, reason=note)
    _tell(
        ticket,
        users=_parties(ticket),
        actor=actor,
        kind="ticket_rejected",
        title=_title(gettext_noop("After-sales ticket #%(id)s rejected"), ticket),
        body=note,
    )
    return ticket


def _compensation_memo(ticket: AfterSalesTicket, text: str) -> str:
    # Ledger memos are bookkeeping, not user-facing text: plain English like the other apps'.
    return f"Ticket #{ticket.pk}: {text}"[:255]


def _pay(ticket: AfterSalesTicket) -> None:
    """Post the compensation of ``ticket`` (see the module's docstring for where it comes from)."""
    order, amount, cur = ticket.order, ticket.compensation, ticket.order.currency
    provider = account_for(kind=AccountKind.PROVIDER, currency=cur, user=order.provider)
    if compensation_recipient(ticket) == ActorRole.CLIENT:
        ticket.compensation_refund = refund_create(
            order=order,
            amount=amount,
            debit=provider,
            kind=LedgerTransactionKind.TICKET_COMPENSATION,
            memo=_compensation_memo(ticket, "compensation from the provider, owed to the client"),
        )
        return
    ticket.compensation_payment = payment_charge(
        order=order,
        amount=amount,
        credit=provider,
        kind=LedgerTransactionKind.TICKET_COMPENSATION,
        memo=_compensation_memo(ticket, "unpaid wages charged to the client"),
        idempotency_key=f"ticket-{ticket.pk}-wages",
    )


def _reverse_payment(ticket: AfterSalesTicket) -> None:
    """Undo a paid compensation (see the module's docstring): every way back is a balanced transaction."""
    order, amount, cur = ticket.order, ticket.compensation, ticket.order.currency
    provider = account_for(kind=AccountKind.PROVIDER, currency=cur, user=order.provider)
    if compensation_recipient(ticket) == ActorRole.CLIENT:
        if ticket.compensation_refund_id is not None:
            settled = refund_cancel(
                refund=ticket.compensation_refund,
                credit=provider,
                kind=LedgerTransactionKind.TICKET_COMPENSATION_REVERSAL,
                memo=_compensation_memo(ticket, "cancelled, compensation back to the provider"),
            )
            if settled is None:  # not paid out yet: cancelled (kept, linked), the amount is back with the provider
                return
        # Paid out already: the money is with the client, whose payment method is charged back.
        payment_charge(
            order=order,
            amount=amount,
            credit=provider,
            kind=LedgerTransactionKind.TICKET_COMPENSATION_REVERSAL,
            memo=_compensation_memo(ticket, "cancelled after payout, charged back to the client"),
            idempotency_key=f"ticket-{ticket.pk}-back",
        )
        return
    if ticket.compensation_payment_id is not None:
        # The wages charge goes back to the client like any refund: settled by the sweep, retried.
        ticket.compensation_refund = refund_create(
            order=order,
            amount=amount,
            debit=provider,
            kind=LedgerTransactionKind.TICKET_COMPENSATION_REVERSAL,
            memo=_compensation_memo(ticket, "cancelled, wages charge refunded to the client"),
            payment=ticket.compensation_payment,
        )
        return
    # Wages charged before such charges had a Payment row: refunded directly, as they were then.
    result = gateway_get().refund(
        charge_reference=_wages_charge_reference(ticket),
        amount=amount,
        currency=cur,
        idempotency_key=f"ticket-{ticket.pk}-wages-back",
    )
    if not result.ok:
        raise PaymentFailed(
            _("The refund of the client's charge failed: %(why)s; try again later.")
            % {"why": result.failure_reason or _("no reason given")},
            code="refund_failed",
        )
    ledger_post(
        kind=LedgerTransactionKind.TICKET_COMPENSATION_REVERSAL,
        currency=cur,
        order=order,
        memo=_compensation_memo(ticket, f"cancelled, charge refunded to the client, refund {result.reference}"),
        lines=[(provider, amount), (account_for(kind=AccountKind.GATEWAY, currency=cur), -amount)],
    )


def _wages_charge_reference(ticket: AfterSalesTicket) -> str:
    # Wages charged before they had a Payment row: the gateway reference is the last word of the
    # compensation transaction's memo.
    txn = (
        ticket.order.ledger_transactions.filter(
            kind=LedgerTransactionKind.TICKET_COMPENSATION, memo__startswith=f"Ticket #{ticket.pk}: "
        )
        .order_by("-created_at", "-id")
        .first()
    )
    return txn.memo.rsplit(" ", 1)[-1] if txn is not None else ""


@transaction.atomic
def ticket_pay_compensation(*, ticket: AfterSalesTicket, actor: User) -> AfterSalesTicket:
    """An agent pays the approved compensation (approved or processing); paying twice is refused."""
    ticket, role = _lock_for(ticket, actor)
    _require_agent(role)
    if ticket.state not in (TicketState.APPROVED, TicketState.PROCESSING):
        raise _refuse(ticket, _("pay compensation on"))
    _refuse_while_cancel_pending(ticket)
    if ticket.compensation_paid_at is not None:
        raise Conflict(_("The compensation of this ticket is already paid."), code="compensation_already_paid")
    if not ticket.compensation:
        raise Conflict(_("This ticket was approved without compensation."), code="no_compensation")
    _pay(ticket)
    now = timezone.now()
    ticket.compensation_paid_at = now
    ticket.save(update_fields=("compensation_paid_at", "compensation_refund", "compensation_payment", "updated_at"))
    recipient = ticket.order.client if compensation_recipient(ticket) == ActorRole.CLIENT else ticket.order.provider
    _log(
        ticket,
        "pay_compensation",
        ticket.state,
        actor=actor,
        role=role,
        reason=_("Compensation of %(amount)s %(cur)s paid to the %(who)s")
        % {"amount": ticket.compensation, "cur": ticket.order.currency, "who": recipient.public_name},
        at=now,
    )
    _tell(
        ticket,
        users=_parties(ticket),
        actor=actor,
        kind="ticket_compensation_paid",
        title=Translatable(
            gettext_noop("Compensation of %(amount)s %(cur)s paid on after-sales ticket #%(id)s"),
            {"amount": ticket.compensation, "cur": ticket.order.currency, "id": ticket.pk},
        ),
    )
    return ticket


@transaction.atomic
def ticket_start_processing(*, ticket: AfterSalesTicket, actor: User, note: str = "") -> AfterSalesTicket:
    """An agent starts carrying out an approved ticket (rework, a return): approved → processing."""
    ticket, role = _lock_for(ticket, actor)
    _require_agent(role)
    note = _text(note, "note", required=False)
    if not can_proceed(ticket.start_processing):
        raise _refuse(ticket, _("start processing"))
    _refuse_while_cancel_pending(ticket)
    from_state = ticket.state
    ticket.start_processing()
    ticket.save(update_fields=("state", "updated_at"))
    _log(ticket, "start_processing", from_state, actor=actor, role=role, reason=note or _("Processing started"))
    _tell(
        ticket,
        users=_parties(ticket),
        actor=actor,
        kind="ticket_processing",
        title=_title(gettext_noop("After-sales ticket #%(id)s is being carried out"), ticket),
        body=note,
    )
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: AfterSalesTicket, actor: User, note: str = "") -> AfterSalesTicket:
    """An agent closes a processed ticket: processing → resolved (a compensation must be paid first)."""
    ticket, role = _lock_for(ticket, actor)
    _require_agent(role)
    note = _text(note, "note", required=False)
    if not can_proceed(ticket.resolve):
        raise _refuse(ticket, _("resolve"))
    _refuse_while_cancel_pending(ticket)
    if ticket.compensation and ticket.compensation_paid_at is None:
        raise Conflict(_("Pay the compensation before resolving the ticket."), code="compensation_unpaid")
    from_state, now = ticket.state, timezone.now()
    ticket.resolve(at=now)
    ticket.save(update_fields=("state", "resolved_at", "updated_at"))
    _log(ticket, "resolve", from_state, actor=actor, role=role, reason=note or _("Resolved"), at=now)
    _tell(
        ticket,
        users=_parties(ticket),
        actor=actor,
        kind="ticket_resolved",
        title=_title(gettext_noop("After-sales ticket #%(id)s is resolved"), ticket),
        body=note,
    )
    return ticket


# --- Cancelling ------------------------------------------------------------------------------


def _clean_cancel_reason(reason: str, message: str) -> tuple[str, str]:
    if reason not in TicketCancelReason.values:
        text = _("Choose a reason.")
        raise ValidationFailed(text, errors={"reason": [text]})
    return reason, _text(message, "message", required=False, limit=5000)


def _cancel_now(
    ticket: AfterSalesTicket,
    *,
    by: User,
    role: str,
    reason: str,
    message: str,
    confirmed_by=None,
    confirm_message: str = "",
):
    """Cancel ``ticket`` (locked) at once, reversing a paid compensation; log and tell everyone.

    ``confirm_message`` is what the confirming party wrote, kept in the log and the notice
    beside the requester's own message.
    """
    fields = ["compensation_refund"] if ticket.compensation_paid_at is not None else []
    if ticket.compensation_paid_at is not None:
        _reverse_payment(ticket)
    from_state, now = ticket.state, timezone.now()
    if ticket.cancel_requested_at is None:
        ticket.cancel_requested_at = now
    ticket.cancel(reason=reason, message=message, by=by, at=now)
    ticket.save(
        update_fields=(
            "state",
            "cancel_reason",
            "cancel_message",
            "cancel_requested_by",
            "cancel_requested_at",
            "cancelled_at",
            "updated_at",
            *fields,
        )
    )
    label = TicketCancelReason(reason).label
    log_reason = f"{label}: {message}" if message else label
    if confirm_message:
        log_reason = f"{log_reason}\n{confirm_message}"
    actor = confirmed_by or by
    _log(ticket, "cancel", from_state, actor=actor, role=role, reason=log_reason, at=now)
    lines: list[Text] = [Joined(": ", [label, message]) if message else label]
    if confirm_message:
        lines.append(confirm_message)
    if ticket.compensation_paid_at is not None:
        lines.append(
            Translatable(
                gettext_noop("The compensation of %(amount)s %(cur)s paid on it is reversed."),
                {"amount": ticket.compensation, "cur": ticket.order.currency},
            )
        )
    body = Joined("\n", lines)
    _tell(
        ticket,
        users=_everyone(ticket),
        actor=actor,
        kind="ticket_cancelled",
        title=_title(gettext_noop("After-sales ticket #%(id)s is cancelled"), ticket),
        body=body,
    )


@transaction.atomic
def ticket_cancel(*, ticket: AfterSalesTicket, actor: User, reason: str, message: str = "") -> AfterSalesTicket:
    """Cancel a ticket at once, or ask whoever the state requires to confirm (see the module's docstring)."""
    ticket, role = _lock_for(ticket, actor)
    reason, message = _clean_cancel_reason(reason, message)
    if role != ActorRole.SUPPORT and ticket.opened_by_id != actor.pk:
        raise PermissionDenied(_("Only who filed the ticket, or support, can cancel it."), code="wrong_party")
    if ticket.state == TicketState.CANCELLED:
        return ticket
    if ticket.state not in LIVE_STATES:
        raise _refuse(ticket, _("cancel"))
    if ticket.cancel_pending:
        raise Conflict(
            _("A cancellation of this ticket already waits for confirmation."),
            code="cancel_pending",
            extra={"state": ticket.state},
        )
    confirmers = cancel_needs_confirmation(ticket, role)
    if not confirmers:
        _cancel_now(ticket, by=actor, role=role, reason=reason, message=message)
        return ticket
    now = timezone.now()
    ticket.cancel_reason, ticket.cancel_message = reason, message
    ticket.cancel_requested_by, ticket.cancel_requested_at = actor, now
    ticket.save(
        update_fields=("cancel_reason", "cancel_message", "cancel_requested_by", "cancel_requested_at", "updated_at")
    )
    _log(
        ticket,
        "cancel_request",
        ticket.state,
        actor=actor,
        role=role,
        reason=f"{TicketCancelReason(reason).label}: {message}" if message else str(TicketCancelReason(reason).label),
        at=now,
    )
    who: list[User | None] = []
    if ActorRole.CLIENT in confirmers:
        who.append(ticket.order.client)
    if ActorRole.PROVIDER in confirmers:
        who.append(ticket.order.provider)
    if ActorRole.SUPPORT in confirmers:
        who.append(ticket.assignee)
    lines: list[Text] = [
        Translatable(gettext_noop("Reason: %(reason)s."), {"reason": TicketCancelReason(reason).label})
    ]
    if message:
        lines.append(message)
    if ticket.compensation_paid_at is not None:
        lines.append(
            Translatable(
                gettext_noop("Confirming reverses the compensation of %(amount)s %(cur)s already paid."),
                {"amount": ticket.compensation, "cur": ticket.order.currency},
            )
        )
    body = Joined("\n", lines)
    _tell(
        ticket,
        users=who,
        actor=actor,
        kind="ticket_cancel_requested",
        title=_title(gettext_noop("Please confirm: cancel after-sales ticket #%(id)s?"), ticket),
        body=body,
    )
    # Everyone else involved learns that a confirmation is awaited.
    _tell(
        ticket,
        users=[u for u in _everyone(ticket) if u not in who],
        actor=actor,
        kind="ticket_cancel_requested",
        title=_title(gettext_noop("Cancellation of after-sales ticket #%(id)s waits for confirmation"), ticket),
        body=body,
    )
    return ticket


def _lock_pending_for_answer(ticket: AfterSalesTicket, actor: User) -> tuple[AfterSalesTicket, str]:
    ticket, role = _lock_for(ticket, actor)
    if not ticket.cancel_pending:
        raise Conflict(
            _("No cancellation of this ticket waits for confirmation."),
            code="no_cancel_pending",
            extra={"state": ticket.state},
        )
    if role not in cancel_confirmers(ticket) or actor.pk == ticket.cancel_requested_by_id:
        raise PermissionDenied(
            _("This cancellation waits for someone else's answer."), code="wrong_party", extra={"state": ticket.state}
        )
    return ticket, role


@transaction.atomic
def ticket_cancel_confirm(*, ticket: AfterSalesTicket, actor: User, message: str = "") -> AfterSalesTicket:
    """The party (or agent) the state requires confirms a pending cancellation: the ticket is cancelled."""
    ticket, role = _lock_pending_for_answer(ticket, actor)
    message = _text(message, "message", required=False, limit=5000)
    _cancel_now(
        ticket,
        by=ticket.cancel_requested_by,
        role=role,
        reason=ticket.cancel_reason,
        message=ticket.cancel_message,
        confirmed_by=actor,
        confirm_message=message,
    )
    return ticket


@transaction.atomic
def ticket_cancel_refuse(*, ticket: AfterSalesTicket, actor: User, message: str = "") -> AfterSalesTicket:
    """The confirming party (or agent) refuses a pending cancellation: the ticket goes on as it was."""
    ticket, role = _lock_pending_for_answer(ticket, actor)
    message = _text(message, "message", required=False, limit=5000)
    requester = ticket.cancel_requested_by
    now = timezone.now()
    ticket.cancel_reason, ticket.cancel_message = "", ""
    ticket.cancel_requested_by, ticket.cancel_requested_at = None, None
    ticket.save(
        update_fields=("cancel_reason", "cancel_message", "cancel_requested_by", "cancel_requested_at", "updated_at")
    )
    _log(
        ticket,
        "cancel_refuse",
        ticket.state,
        actor=actor,
        role=role,
        reason=message or _("Cancellation refused"),
        at=now,
    )
    _tell(
        ticket,
        users=[requester, *_everyone(ticket)],
        actor=actor,
        kind="ticket_cancel_refused",
        title=_title(gettext_noop("Cancellation of after-sales ticket #%(id)s was refused"), ticket),
        body=message,
    )
    return ticket
