"""What silence does to a pending cancellation of an after-sales ticket once its answer time ran out.

The same outcome whether the sweep finds it (``disputes.jobs.tickets.expire_confirmations``) or a
party answers too late (the answer is refused and this is applied in that request):

* ``approved``: the cancellation is confirmed as ``ticket_cancel_confirm`` would, by the system,
  and a paid compensation is reversed through the same path;
* ``processing``: work or a return may be under way, so nothing is decided against anyone: the
  decision goes to support, flagged for the agents' queue (``cancel_handed_over_at``) and due
  within the policy's case hours like a ruling.

Many tickets at once: one statement per batch for each change, the transition log in one insert
and the notices in another, each in its recipient's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_log_build, transition_logs_write
from core.batches import transitions_apply
from core.db import bulk_update_rows
from core.i18n import Joined, Moment, Text, Translatable
from core.models import ActorRole
from core.timeutils import when_text
from disputes.models import AfterSalesTicket, TicketCancelReason
from marketplace.notifications import notification_build, notifications_send

from .base import ticket_title
from .money import compensation_reverse_for
from .rules import silence_confirms


@dataclass(frozen=True)
class SilenceOutcome:
    """How many pending cancellations silence confirmed, and how many it handed to support."""

    cancelled: int = 0
    handed_over: int = 0


def _asked(ticket: AfterSalesTicket) -> Text:
    label = TicketCancelReason(ticket.cancel_reason).label
    return Joined(": ", [label, ticket.cancel_message]) if ticket.cancel_message else label


def _notices(ticket: AfterSalesTicket, *, kind: str, title: Text, body: Text, now: datetime) -> list[dict]:
    order = ticket.order
    users = dict.fromkeys(uid for uid in (order.client_id, order.provider_id, ticket.assignee_id) if uid is not None)
    return [
        notification_build(user_id=uid, kind=kind, title=title, body=body, order_id=ticket.order_id, at=now)
        for uid in users
    ]


def ticket_confirmations_expire(tickets: Sequence[AfterSalesTicket], *, now: datetime) -> SilenceOutcome:
    """Apply silence to pending cancellations whose answer time passed (locked, none handed over yet)."""
    to_cancel = [t for t in tickets if silence_confirms(t)]
    to_hand_over = [t for t in tickets if not silence_confirms(t)]
    logs: list[dict] = []
    notices: list[dict] = []

    # Approved: confirmed by the system, as the party would have.
    reversed_paid = [t for t in to_cancel if t.compensation_paid_at is not None]
    for ticket in reversed_paid:
        compensation_reverse_for(ticket)
    bulk_update_rows(reversed_paid, ["compensation_refund"])
    confirmed_reason = _("No answer by %(at)s: the cancellation is confirmed automatically.")
    transitions_apply(
        to_cancel,
        "cancel",
        kwargs=lambda t: {"reason": t.cancel_reason, "message": t.cancel_message, "by": None, "at": now},
        at=now,
        actor_role=ActorRole.SYSTEM,
        # The log in the current language, like every sweep's.
        reason=lambda t: f"{confirmed_reason % {'at': when_text(t.cancel_respond_by)}}\n{_asked(t)}",
        log_as="cancel_auto_confirm",
        logs=logs,
    )
    for ticket in to_cancel:
        lines: list[Text] = [
            Translatable(
                gettext_noop("No answer came by %(at)s, so the cancellation asked for is confirmed automatically."),
                {"at": Moment(ticket.cancel_respond_by)},
            ),
            _asked(ticket),
        ]
        if ticket.compensation_paid_at is not None:
            lines.append(
                Translatable(
                    gettext_noop("The compensation of %(amount)s %(cur)s paid on it is reversed."),
                    {"amount": ticket.compensation, "cur": ticket.order.currency},
                )
            )
        title = ticket_title(gettext_noop("After-sales ticket #%(id)s is cancelled"), ticket)
        notices += _notices(ticket, kind="ticket_cancelled", title=title, body=Joined("\n", lines), now=now)

    # Processing: support decides, within the case hours.
    handed_reason = _("No answer by %(at)s: a support agent decides the cancellation.")
    for ticket in to_hand_over:
        ticket.cancel_handed_over_at = now
        ticket.resolution_due = now + timedelta(hours=ticket.order.policy.case_ruling_hours)
        ticket.updated_at = now
        logs.append(
            transition_log_build(
                subject=ticket,
                transition="cancel_hand_over",
                from_state=ticket.state,
                to_state=ticket.state,
                actor=None,
                actor_role=ActorRole.SYSTEM,
                reason=handed_reason % {"at": when_text(ticket.cancel_respond_by)},
                at=now,
            )
        )
        title = ticket_title(gettext_noop("Cancellation of after-sales ticket #%(id)s goes to support"), ticket)
        body = Joined(
            "\n",
            [
                Translatable(
                    gettext_noop(
                        "No answer came by %(at)s. Work or a return may be under way, so a support agent "
                        "decides the cancellation by %(due)s."
                    ),
                    {"at": Moment(ticket.cancel_respond_by), "due": Moment(ticket.resolution_due)},
                ),
                _asked(ticket),
            ],
        )
        notices += _notices(ticket, kind="ticket_cancel_to_support", title=title, body=body, now=now)
    bulk_update_rows(to_hand_over, ["cancel_handed_over_at", "resolution_due", "updated_at"])

    transition_logs_write(logs)
    notifications_send(notices)  # one insert, one look-up of the recipients' languages
    return SilenceOutcome(cancelled=len(to_cancel), handed_over=len(to_hand_over))
