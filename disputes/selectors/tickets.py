"""Reads of after-sales tickets, shaped for their pages, endpoints and the admin (no N+1)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.models import TransitionLog
from core.support import is_support
from disputes.models import AfterSalesTicket, Evidence, TicketVersion
from orders.models import Order


def ticket_list_for(*, user, state: str | None = None, order_id: int | None = None) -> QuerySet[AfterSalesTicket]:
    """Tickets on orders where ``user`` is client or provider, newest first."""
    qs = AfterSalesTicket.objects.filter(Q(order__client=user) | Q(order__provider=user))
    if state:
        qs = qs.filter(state=state)
    if order_id is not None:
        qs = qs.filter(order_id=order_id)
    return qs.select_related("order", "opened_by").order_by("-created_at", "-id")


def ticket_list_for_order(*, order: Order) -> list[AfterSalesTicket]:
    """The tickets of one order (its parties see them all), newest first."""
    return list(AfterSalesTicket.objects.filter(order=order).select_related("opened_by").order_by("-created_at", "-id"))


def _visible(qs: QuerySet[AfterSalesTicket], user) -> QuerySet[AfterSalesTicket]:
    if is_support(user):
        return qs
    return qs.filter(Q(order__client=user) | Q(order__provider=user))


def _pk(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such ticket.")) from None


def ticket_get(*, pk, user) -> AfterSalesTicket:
    """One ticket with its versions, evidence and log; 404 unless ``user`` is a party or staff."""
    qs = _visible(AfterSalesTicket.objects.all(), user).select_related(
        "order__client",
        "order__provider",
        "order__policy",
        "opened_by",
        "assignee",
        "cancel_requested_by",
        "compensation_refund",
        "compensation_charge",
        "escalated_to",
    )
    qs = qs.prefetch_related(
        Prefetch("versions", queryset=TicketVersion.objects.select_related("edited_by").order_by("version")),
        Prefetch("evidence", queryset=Evidence.objects.select_related("uploaded_by").order_by("created_at", "id")),
    )
    ticket = qs.filter(pk=_pk(pk)).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    ticket.log = ticket_log(ticket=ticket)
    return ticket


def ticket_get_for_action(*, pk, user) -> AfterSalesTicket:
    """The ticket an action is about, without its history: 404 unless ``user`` is a party or staff."""
    ticket = _visible(AfterSalesTicket.objects.all(), user).filter(pk=_pk(pk)).first()
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def ticket_log(*, ticket: AfterSalesTicket) -> list[TransitionLog]:
    """The ticket's transition log, oldest first."""
    return list(
        TransitionLog.objects.filter(
            content_type=ContentType.objects.get_for_model(AfterSalesTicket), object_id=ticket.pk
        )
        .select_related("actor")
        .order_by("at", "id")
    )
