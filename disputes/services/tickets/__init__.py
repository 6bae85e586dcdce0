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
``cancel_requested_by``, ``cancel_reason``, ``cancel_message``) with the time its answer is due
(``cancel_respond_by``, the policy's hours); refusing or withdrawing it clears those, so the
state shown is always the state stored. Nothing waits forever: silence confirms the
cancellation, or in ``processing`` hands it to support (``silence``, run by the sweep
``disputes.jobs.tickets.expire_confirmations`` and by an answer that comes too late); an agent
may decide any pending cancellation for the party it waits on.

Tickets have the service level of support cases (a first response and a decision within the
policy's case hours, breaches flagged and escalated to supervisors by
``disputes.jobs.tickets.flag_sla_breaches``), and who filed a rejected ticket may take it to a
support case within the policy's days (``escalating``).

The package, by concern: ``rules`` (pure: who may do what, when), ``filing`` (a party files,
edits, adds evidence), ``review`` (agents review, approve or reject, pay, carry out, resolve),
``cancelling`` (at once or with confirmation, withdrawn, decided by an agent), ``silence`` (what
an unanswered cancellation comes to), ``escalating`` (a rejected ticket to a support case),
``money`` (the compensation, through ``orders.compensation``), ``base`` (locks, refusals,
notices). Callers use the names below.

The compensation goes to the client (a quality problem, rework, a partial refund: from the
provider's balance, paid back to the client's payment method like a cancellation's refund) or
to the provider (unpaid wages: charged to the client's payment method); cancelling a ticket
takes a paid compensation back. ``orders.compensation`` moves the money, one balanced ledger
transaction each, and says where every amount goes. The platform's own account is never
used: the platform neither pays nor keeps compensation.
"""

from .base import ticket_lock
from .cancelling import (
    DECISIONS,
    ticket_cancel,
    ticket_cancel_confirm,
    ticket_cancel_decide,
    ticket_cancel_refuse,
    ticket_cancel_withdraw,
)
from .escalating import ticket_escalate
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
    can_decide_cancel,
    can_escalate,
    can_withdraw_cancel,
    cancel_confirmers,
    cancel_needs_confirmation,
    compensation_recipient,
    confirmation_expired,
    escalate_until,
    escalated_case,
    silence_confirms,
    ticket_role,
    ticket_types_for,
    ticket_window,
)
from .silence import SilenceOutcome, ticket_confirmations_expire

__all__ = [
    "DECISIONS",
    "LIVE_STATES",
    "PROVIDER_TYPES",
    "SilenceOutcome",
    "TicketWindow",
    "can_cancel",
    "can_confirm_cancel",
    "can_decide_cancel",
    "can_escalate",
    "can_withdraw_cancel",
    "cancel_confirmers",
    "cancel_needs_confirmation",
    "compensation_recipient",
    "confirmation_expired",
    "escalate_until",
    "escalated_case",
    "silence_confirms",
    "ticket_add_evidence",
    "ticket_approve",
    "ticket_cancel",
    "ticket_cancel_confirm",
    "ticket_cancel_decide",
    "ticket_cancel_refuse",
    "ticket_cancel_withdraw",
    "ticket_confirmations_expire",
    "ticket_edit",
    "ticket_escalate",
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
