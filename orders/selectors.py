"""Reads of orders, shaped for their pages and endpoints (no N+1)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.models import TransitionLog

from .models import Delivery, LedgerTransaction, Order


def order_list_for(*, user, role: str | None = None, state: str | None = None) -> QuerySet[Order]:
    """Orders where ``user`` is client or provider, newest first."""
    if role == "client":
        qs = Order.objects.filter(client=user)
    elif role == "provider":
        qs = Order.objects.filter(provider=user)
    else:
        qs = Order.objects.filter(Q(client=user) | Q(provider=user))
    if state:
        qs = qs.filter(state=state)
    return qs.select_related("client", "provider", "policy").order_by("-created_at", "-id")


def order_get(*, pk, user) -> Order:
    """One order, with its history, deliveries, money trail and cancellation; 404 if it is not the user's."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such order.")) from None
    qs = Order.objects.select_related(
        "client", "provider", "policy", "listing", "cancellation__actor", "cancellation__policy"
    ).prefetch_related(
        Prefetch("history", queryset=TransitionLog.objects.select_related("actor").order_by("at", "id")),
        Prefetch("deliveries", queryset=Delivery.objects.prefetch_related("files").order_by("created_at", "id")),
        Prefetch(
            "ledger_transactions",
            queryset=LedgerTransaction.objects.prefetch_related("entries__account").order_by("created_at", "id"),
        ),
        "payments",
    )
    if not user.is_staff:
        qs = qs.filter(Q(client=user) | Q(provider=user))
    order = qs.filter(pk=pk).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


def order_get_for_action(*, pk, user) -> Order:
    """The order an action or a quote is about, without its history: 404 if it is not the user's."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such order.")) from None
    qs = Order.objects.select_related("policy", "client", "provider")
    if not user.is_staff:
        qs = qs.filter(Q(client=user) | Q(provider=user))
    order = qs.filter(pk=pk).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order
