"""Reads of orders, shaped for their pages and endpoints (no N+1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.models import TransitionLog
from core.support import is_support
from core.timeutils import shifted
from marketplace.models import User

from .models import (
    OPEN_STATES,
    Cancellation,
    CancellationQuote,
    Delivery,
    DeliveryFile,
    LedgerEntry,
    LedgerTransaction,
    Message,
    MessageAttachment,
    MessageReport,
    Order,
    Policy,
)


def policy_in_force() -> Policy:
    """The newest policy version; an unsaved one with the defaults on an empty database.

    For reads of the rules in force (the completion-rate window, the credit thresholds); new
    orders are made under ``orders.services.policy_current``, which saves the defaults.
    """
    return Policy.objects.order_by("-version").first() or Policy(version=0)


def order_extension_limit(order: Order) -> datetime:
    """The latest due date an extension of ``order`` may set: its policy's days past the current one."""
    return shifted(order.due_at, timedelta(days=order.policy.max_extension_days))


def cancellation_in_force(*, order_id: int) -> Cancellation | None:
    """The cancellation of an order, unless an appeal reversed it."""
    return Cancellation.objects.filter(order_id=order_id, reversed_at__isnull=True).first()


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


# What others see of a person on an order: UserRefSerializer's fields.
USER_REF = ("id", "username", "display_name")


def _others(prefix: str, model, keep: tuple[str, ...]) -> list[str]:
    """``prefix__field`` for every concrete column of ``model`` but ``keep``: what to defer."""
    return [
        f"{prefix}__{f.attname}" for f in model._meta.concrete_fields if f.name not in keep and f.attname not in keep
    ]


def _order_full(queryset, *, pk, user, history_actors: tuple[str, ...] | None = None) -> Order:
    """``pk`` from ``queryset`` with its history (of the actors, only ``history_actors`` columns if
    given), deliveries, money trail and payments; 404 if it is not the user's."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such order.")) from None
    history = TransitionLog.objects.select_related("actor").order_by("at", "id")
    if history_actors is not None:
        history = history.defer(*_others("actor", User, history_actors))
    qs = queryset.prefetch_related(
        Prefetch("history", queryset=history),
        Prefetch("deliveries", queryset=Delivery.objects.prefetch_related("files").order_by("created_at", "id")),
        # The entries with their accounts in one query (not one for entries and one for accounts).
        Prefetch(
            "ledger_transactions",
            queryset=LedgerTransaction.objects.prefetch_related(
                Prefetch("entries", queryset=LedgerEntry.objects.select_related("account").order_by("id"))
            ).order_by("created_at", "id"),
        ),
        "payments",
    )
    if not is_support(user):
        qs = qs.filter(Q(client=user) | Q(provider=user))
    order = qs.filter(pk=pk).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


def order_list_for_api(*, user, role: str | None = None, state: str | None = None) -> QuerySet[Order]:
    """:func:`order_list_for` with only the columns the API's list shows of both people and the policy."""
    return order_list_for(user=user, role=role, state=state).defer(
        *_others("client", User, USER_REF),
        *_others("provider", User, USER_REF),
        *_others("policy", Policy, ("id", "version")),
    )


def order_get(*, pk, user) -> Order:
    """One order for its page: history, deliveries, money trail, cancellation; 404 if it is not the user's."""
    return _order_full(
        Order.objects.select_related(
            "client",
            "provider",
            "policy",
            "listing",
            "cancellation__actor",
            "cancellation__policy",
            "cancellation__quote",
        ),
        pk=pk,
        user=user,
    )


def order_detail_get(*, pk, user) -> Order:
    """One order for the API's detail: as :func:`order_get`, with only the columns the detail shows
    of its people, policy and cancellation (not every column of two users and the policy twice)."""
    return _order_full(
        Order.objects.select_related(
            "client", "provider", "policy", "cancellation__actor", "cancellation__policy", "cancellation__quote"
        ).defer(
            *_others("client", User, USER_REF),
            *_others("provider", User, USER_REF),
            *_others("policy", Policy, ("id", "version")),
            *_others("cancellation__actor", User, ("id", "username")),
            *_others("cancellation__policy", Policy, ("id", "version")),
            *_others("cancellation__quote", CancellationQuote, ("id", "token")),
        ),
        pk=pk,
        user=user,
        history_actors=("id", "username"),
    )


def order_get_for_action(*, pk, user) -> Order:
    """The order an action or a quote is about, without its history: 404 if it is not the user's."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such order.")) from None
    qs = Order.objects.select_related("policy", "client", "provider")
    if not is_support(user):
        qs = qs.filter(Q(client=user) | Q(provider=user))
    order = qs.filter(pk=pk).first()
    if order is None:
        raise NotFound(_("No such order."))
    return order


# --- Between two people ---------------------------------------------------------------------


def open_orders_between(a, b) -> QuerySet[Order]:
    """Orders between ``a`` and ``b`` (either as client) that are still open, oldest first."""
    return (
        Order.objects.filter(state__in=OPEN_STATES)
        .filter(Q(client_id=a.pk, provider_id=b.pk) | Q(client_id=b.pk, provider_id=a.pk))
        .order_by("created_at", "id")
    )


def open_order_ids_between(a, b) -> list[int]:
    """The ids of ``open_orders_between``: what marketplace asks before a block (``GIGFAIR_HOOKS``)."""
    return list(open_orders_between(a, b).values_list("pk", flat=True))


# --- The order's message thread ----------------------------------------------------------------------


def order_messages(order) -> QuerySet[Message]:
    """An order's thread, oldest first, with authors and attachments (support cases attach it)."""
    return (
        Message.objects.filter(order=order)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def order_thread_for(*, order, user) -> QuerySet[Message]:
    """The thread as ``user`` sees it: each message also carries ``my_reports`` (theirs only)."""
    return order_messages(order).prefetch_related(
        Prefetch("reports", queryset=MessageReport.objects.filter(reporter=user), to_attr="my_reports")
    )


def message_get_for(*, pk, user) -> Message:
    """One message, if ``user`` is a party to its order (or staff); NotFound otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such message.")) from None
    qs = Message.objects.select_related("order", "author")
    if not is_support(user):
        qs = qs.filter(Q(order__client=user) | Q(order__provider=user))
    message = qs.filter(pk=pk).first()
    if message is None:
        raise NotFound(_("No such message."))
    return message


def _file_pk(pk) -> int:
    try:
        return int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such file.")) from None


def _party_file(qs: QuerySet, *, order: str, user):
    """The row of ``qs`` that ``user`` may download — a party to the order reached by ``order``,
    or support (a plain staff account is not); NotFound otherwise."""
    if not is_support(user):
        if not user.is_authenticated:
            raise NotFound(_("No such file."))
        qs = qs.filter(Q(**{f"{order}__client": user}) | Q(**{f"{order}__provider": user}))
    row = qs.first()
    if row is None:
        raise NotFound(_("No such file."))
    return row


def attachment_get_for(*, pk, user, message_id=None) -> MessageAttachment:
    """An attachment ``user`` may download: a party to its order, or support."""
    qs = MessageAttachment.objects.filter(pk=_file_pk(pk))
    if message_id is not None:
        qs = qs.filter(message_id=message_id)
    return _party_file(qs, order="message__order", user=user)


def delivery_file_get_for(*, pk, user, order_id=None) -> DeliveryFile:
    """A delivered file ``user`` may download: a party to its order, or support."""
    qs = DeliveryFile.objects.filter(pk=_file_pk(pk))
    if order_id is not None:
        qs = qs.filter(delivery__order_id=order_id)
    return _party_file(qs, order="delivery__order", user=user)
