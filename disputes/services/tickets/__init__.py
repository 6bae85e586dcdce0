"""After-sales tickets: the only code that writes them, asks orders to move their money, and tells people.

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

The package, by concern: ``rules`` (pure: who may do what, when), ``filing`` (a party files,
edits, adds evidence), ``review`` (agents review, approve or reject, pay, carry out, resolve),
``cancelling`` (at once or with confirmation), ``money`` (the compensation, through
``orders.compensation``), ``base`` (locks, refusals, notices). Callers use the names below.

The compensation goes to the client (a quality problem, rework, a partial refund: from the
provider's balance, paid back to the client's payment method like a cancellation's refund) or
to the provider (unpaid wages: charged to the client's payment method); cancelling a ticket
takes a paid compensation back. ``orders.compensation`` moves the money, one balanced ledger
transaction each, and says where every amount goes. The platform's own account is never
used: the platform neither pays nor keeps compensation.
"""

from .base import ticket_lock
from .cancelling import ticket_cancel, ticket_cancel_confirm, ticket_cancel_refuse
from .filing import ticket_add_evidence, ticket_edit, ticket_open
from .review import (
    ticket_approve,
    ticket_pay_compensation,
    ticket_reject,
    ticket_resolve,
    ticket_start_processing,
    ticket_start_review,
)
from .rules import (
    LIVE_STATES,
    PROVIDER_TYPES,
    TicketWindow,
    can_cancel,
    can_confirm_cancel,
    cancel_confirmers,
    cancel_needs_confirmation,
    compensation_recipient,
    ticket_role,
    ticket_types_for,
    ticket_window,
)

__all__ = [
    "LIVE_STATES",
    "PROVIDER_TYPES",
    "TicketWindow",
    "can_cancel",
    "can_confirm_cancel",
    "cancel_confirmers",
    "cancel_needs_confirmation",
    "compensation_recipient",
    "ticket_add_evidence",
    "ticket_approve",
    "ticket_cancel",
    "ticket_cancel_confirm",
    "ticket_cancel_refuse",
    "ticket_edit",
    "ticket_lock",
    "ticket_open",
    "ticket_pay_compensation",
    "ticket_reject",
    "ticket_resolve",
    "ticket_role",
    "ticket_start_processing",
    "ticket_start_review",
    "ticket_types_for",
    "ticket_window",
]
