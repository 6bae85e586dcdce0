"""What the after-sales ticket services share: locking a ticket, refusing, telling people."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _

from core.exceptions import Conflict, NotFound, PermissionDenied
from core.i18n import Text, Translatable
from core.models import ActorRole
from disputes.models import AfterSalesTicket, Evidence
from marketplace.models import User
from marketplace.notifications import notify

from .rules import ticket_role


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


def lock_for(ticket: AfterSalesTicket, actor: User) -> tuple[AfterSalesTicket, str]:
    ticket = ticket_lock(ticket_id=ticket.pk)
    role = ticket_role(ticket, actor)
    if role is None:
        raise NotFound(_("No such ticket."))
    return ticket, role


def require_agent(role: str) -> None:
    if role != ActorRole.SUPPORT:
        raise PermissionDenied(_("Only support agents can do this."), code="not_an_agent")


def agent_responded(ticket: AfterSalesTicket, role: str, at) -> tuple[str, ...]:
    """Note support's first response on ``ticket`` (its service level); returns the fields to save."""
    if role != ActorRole.SUPPORT or ticket.first_response_at is not None:
        return ()
    ticket.first_response_at = at
    return ("first_response_at",)


def refuse(ticket: AfterSalesTicket, action: str) -> Conflict:
    message = _("You cannot %(action)s a ticket that is %(state)s.") % {
        "action": action,
        "state": ticket.get_state_display(),
    }
    return Conflict(message, code="invalid_transition", extra={"state": ticket.state})


def refuse_while_cancel_pending(ticket: AfterSalesTicket) -> None:
    if ticket.cancel_pending:
        raise Conflict(
            _("A cancellation of this ticket waits for confirmation: confirm or refuse it first."),
            code="cancel_pending",
            extra={"state": ticket.state},
        )


def tell(
    ticket: AfterSalesTicket, *, users: Iterable[User | None], actor: User, kind: str, title: Text, body: Text = ""
) -> None:
    """Notify each of ``users`` but the actor (once each), in the app and by e-mail after commit."""
    notify(users=users, skip=actor, kind=kind, title=title, body=body, order=ticket.order)


def parties(ticket: AfterSalesTicket) -> list[User]:
    return [ticket.order.client, ticket.order.provider]


def everyone(ticket: AfterSalesTicket) -> list[User | None]:
    return [*parties(ticket), ticket.assignee]


def ticket_title(msgid: str, ticket: AfterSalesTicket) -> Translatable:
    return Translatable(msgid, {"id": ticket.pk, "order": ticket.order_id})


def store_evidence(ticket: AfterSalesTicket, actor: User, checked, description: str, at) -> list[Evidence]:
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
