"""Reads of orders, shaped for their pages and endpoints (no N+1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.models import TransitionLog
from core.prepared import PreparedPages, PreparedRead, attach, columns, instance
from core.support import is_support
from core.timeutils import shifted
from marketplace.models import Listing, User

from .models import (
    OPEN_STATES,
    Account,
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
    OrderState,
    Payment,
    Policy,
    Refund,
)

_newest_policy = PreparedRead(lambda: Policy.objects.order_by("-version").values_list(*columns(Policy))[:1])


def policy_in_force() -> Policy:
    """The newest policy version; an unsaved one with the defaults on an empty database.

    For reads of the rules in force (the completion-rate window, the credit thresholds); new
    orders are made under ``orders.services.policy_current``, which saves the defaults. A
    prepared read: the credit endpoint and page, quotes and sweeps all start here.
    """
    rows = _newest_policy()
    return instance(Policy, rows[0]) if rows else Policy(version=0)


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


# --- The dashboard --------------------------------------------------------------------------

# What waits for a party: the states in which the order page offers them an action. A booked
# shift waits for its worker once it starts within DASHBOARD_SHIFT_SOON (check-in opens near the start).
WAITING_FOR_CLIENT = (OrderState.AWAITING_REQUIREMENTS, OrderState.DELIVERED, OrderState.CHECKED_IN)
WAITING_FOR_PROVIDER = (OrderState.IN_PROGRESS, OrderState.LATE)
DASHBOARD_SHIFT_SOON = timedelta(hours=24)
DASHBOARD_TABS = ("action", "client", "provider")


def _waiting_for(user_id, soon) -> Q:
    return (
        Q(client_id=user_id, state__in=WAITING_FOR_CLIENT)
        | Q(provider_id=user_id, state__in=WAITING_FOR_PROVIDER)
        | Q(provider_id=user_id, state=OrderState.BOOKED, starts_at__lte=soon)
    )


def _dashboard_tab(tab: str, user_id, soon) -> QuerySet[Order]:
    if tab == "client":
        return Order.objects.filter(client_id=user_id).order_by("-created_at", "-id")
    if tab == "provider":
        return Order.objects.filter(provider_id=user_id).order_by("-created_at", "-id")
    # What waits for the user: the nearest deadline (due date or shift start) first.
    return Order.objects.filter(_waiting_for(user_id, soon)).order_by(
        Coalesce("due_at", "starts_at").asc(nulls_last=True), "-created_at", "-id"
    )


_DASHBOARD_ORDER = ("id", "kind", "client", "provider", "state", "title", "price", "currency")
_DASHBOARD_ORDER += ("due_at", "starts_at", "location", "created_at")
_dashboard_counts = PreparedRead(
    lambda user_id, soon: (
        Order.objects.filter(Q(client_id=user_id) | Q(provider_id=user_id))
        .annotate(everyone=Value(1))
        .values("everyone")
        .annotate(
            client=Count("pk", filter=Q(client_id=user_id)),
            provider=Count("pk", filter=Q(provider_id=user_id)),
            action=Count("pk", filter=_waiting_for(user_id, soon)),
        )
        .order_by()
        .values_list("client", "provider", "action")
    ),
    "user_id",
    "soon",
    moments=("soon",),
)


def _dashboard_columns(queryset: QuerySet[Order]) -> QuerySet:
    return queryset.values_list(
        *columns(Order, "", _DASHBOARD_ORDER),
        *columns(User, "client__", USER_REF),
        *columns(User, "provider__", USER_REF),
    )


_dashboard_rows_in_role = PreparedRead(
    lambda role, start, stop, user_id: _dashboard_columns(_dashboard_tab(role, user_id, None))[start:stop], "user_id"
)
_dashboard_rows_waiting = PreparedRead(
    lambda start, stop, user_id, soon: _dashboard_columns(_dashboard_tab("action", user_id, soon))[start:stop],
    "user_id",
    "soon",
    moments=("soon",),
)


def _dashboard_order(row: dict) -> Order:
    order = instance(Order, row)
    order.client = instance(User, row, "client__")
    order.provider = instance(User, row, "provider__")
    return order


def dashboard_counts(*, user, now: datetime) -> dict[str, int]:
    """How many orders each dashboard tab holds for ``user``: one prepared read."""
    rows = _dashboard_counts(user_id=user.pk, soon=now + DASHBOARD_SHIFT_SOON)
    return rows[0] if rows else {"client": 0, "provider": 0, "action": 0}


def dashboard_tab(*, user, tab: str, count: int, now: datetime) -> PreparedPages:
    """The orders of one dashboard tab (``DASHBOARD_TABS``), for a paginator: ``action`` holds the
    orders that wait for ``user`` to act, the nearest deadline first; ``client`` and ``provider``
    every order in that role, newest first. Each order has only what the dashboard shows (and its
    people's names)."""
    if tab not in DASHBOARD_TABS:
        raise ValueError(f"no dashboard tab {tab!r}")
    if tab == "action":
        soon = now + DASHBOARD_SHIFT_SOON
        return PreparedPages(
            count=count, rows=_dashboard_rows_waiting, make=_dashboard_order, user_id=user.pk, soon=soon
        )
    return PreparedPages(
        count=count, rows=_dashboard_rows_in_role, make=_dashboard_order, variant=(tab,), user_id=user.pk
    )


# What others see of a person on an order: UserRefSerializer's fields.
USER_REF = ("id", "username", "display_name")


# --- The API's order list, a page by keyset, as prepared reads --------------------------------------

# The columns the list shows (OrderListItemOutputSerializer), of the order, both people and the policy.
_ORDER_LIST_FIELDS = (
    "id", "kind", "state", "listing", "client", "provider", "title", "price", "currency",
    "due_at", "starts_at", "ends_at", "location", "auto_complete_at", "created_at",
)  # fmt: skip
ORDER_LIST_COLUMNS = (
    *columns(Order, only=_ORDER_LIST_FIELDS),
    *columns(User, "client__", USER_REF),
    *columns(User, "provider__", USER_REF),
    "policy__version",
)


def _order_page(role, direction, size, user_id, state=None, at=None, id=None) -> QuerySet:
    """One page of the orders of ``user_id`` (as ``role``, or either), in ``state`` if given:
    the first (``direction`` None), or ``size`` rows older ("after") or newer ("before") than
    ``(at, id)``. Either role on PostgreSQL reads each side by its own index and takes the
    newest of both (a UNION of two keyset reads), so a deep page costs what the first does."""
    newest_first = direction != "before"
    ordering = ("-created_at", "-id") if newest_first else ("created_at", "id")

    def side(party: Q) -> QuerySet:
        qs = Order.objects.filter(party)
        if state is not None:
            qs = qs.filter(state=state)
        # (created_at, id) past the position, with the created_at bound alone as well, so the index
        # on (party, created_at) starts the scan at the position however deep it is.
        if direction == "after":
            qs = qs.filter(Q(created_at__lte=at), Q(created_at__lt=at) | Q(id__lt=id))
        elif direction == "before":
            qs = qs.filter(Q(created_at__gte=at), Q(created_at__gt=at) | Q(id__gt=id))
        return qs.order_by(*ordering).values_list(*ORDER_LIST_COLUMNS)

    if role is not None:
        return side(Q(**{f"{role}_id": user_id}))[:size]
    if connections[Order.objects.db].features.supports_slicing_ordering_in_compound:
        both = side(Q(client_id=user_id))[:size].union(side(Q(provider_id=user_id))[:size], all=True)
        return both.order_by(*ordering)[:size]
    return side(Q(client_id=user_id) | Q(provider_id=user_id))[:size]


# One read per set of arguments; the role, the direction and the page's size are variants.
_ORDER_PAGES = {
    (has_state, positioned): PreparedRead(
        _order_page,
        "user_id",
        *(("state",) if has_state else ()),
        *(("at", "id") if positioned else ()),
        text=("state",) if has_state else (),
        moments=("at",) if positioned else (),
    )
    for has_state in (False, True)
    for positioned in (False, True)
}


def order_page_for_api(*, user, position, limit: int, role: str | None = None, state: str | None = None) -> list:
    """Up to ``limit`` rows (dicts of ``ORDER_LIST_COLUMNS``) of the user's orders for the API's
    list, from ``position`` (a ``core.api.pagination.Position``, or None for the newest):
    newest first, or oldest first when the position is ``before``."""
    arguments = {"user_id": user.pk}
    if state is not None:
        arguments["state"] = state
    direction = None
    if position is not None:
        direction = "before" if position.before else "after"
        arguments.update(at=position.at, id=position.id)
    read = _ORDER_PAGES[(state is not None, position is not None)]
    return read(variant=(role, direction, limit), **arguments)


# --- One order in full, as prepared reads ------------------------------------------------------
# An order with its people, policy, cancellation, history, deliveries, money trail and refunds,
# read by queries compiled once per process (core.prepared): the order page and the API's detail
# are the busiest reads, and building and compiling their querysets cost more than running
# them. The page reads every column (its templates and forms reach far); the API's detail only
# the columns it shows of the people, policies and quote.


def _head_reads(head: tuple[str, ...]) -> tuple[PreparedRead, PreparedRead]:
    """The order row with ``head``'s columns: as a party (``user_id``) sees it, and as support does."""
    party = PreparedRead(
        lambda order_id, user_id: (
            Order.objects.filter(Q(client_id=user_id) | Q(provider_id=user_id), pk=order_id)
            .order_by()
            .values_list(*head)
        ),
        "order_id",
        "user_id",
    )
    support = PreparedRead(lambda order_id: Order.objects.filter(pk=order_id).order_by().values_list(*head), "order_id")
    return party, support


def _history_read(actor: tuple[str, ...] | None) -> PreparedRead:
    return PreparedRead(
        lambda order_id, content_type_id: (
            TransitionLog.objects.filter(content_type_id=content_type_id, object_id=order_id)
            .order_by("at", "id")
            .values_list(*columns(TransitionLog), *columns(User, "actor__", actor))
        ),
        "order_id",
        "content_type_id",
    )


@dataclass(frozen=True)
class _OrderReads:
    heads: tuple[PreparedRead, PreparedRead]
    history: PreparedRead
    listing: bool


_FOR_API = _OrderReads(
    heads=_head_reads(
        (
            *columns(Order),
            *columns(User, "client__", USER_REF),
            *columns(User, "provider__", USER_REF),
            *columns(Policy, "policy__", ("id", "version")),
            *columns(Cancellation, "cancellation__"),
            *columns(User, "cancellation__actor__", ("id", "username")),
            *columns(Policy, "cancellation__policy__", ("id", "version")),
            *columns(CancellationQuote, "cancellation__quote__", ("id", "token")),
        )
    ),
    history=_history_read(("id", "username")),
    listing=False,
)
_FOR_PAGE = _OrderReads(
    heads=_head_reads(
        (
            *columns(Order),
            *columns(User, "client__"),
            *columns(User, "provider__"),
            *columns(Policy, "policy__"),
            *columns(Listing, "listing__"),
            *columns(Cancellation, "cancellation__"),
            *columns(User, "cancellation__actor__"),
            *columns(Policy, "cancellation__policy__"),
            *columns(CancellationQuote, "cancellation__quote__"),
        )
    ),
    history=_history_read(None),
    listing=True,
)
_deliveries = PreparedRead(
    lambda order_id: (
        Delivery.objects.filter(order_id=order_id).order_by("created_at", "id").values_list(*columns(Delivery))
    ),
    "order_id",
)
_delivery_files = PreparedRead(
    lambda order_id: (
        DeliveryFile.objects.filter(delivery__order_id=order_id).order_by("id").values_list(*columns(DeliveryFile))
    ),
    "order_id",
)
_ledger_transactions = PreparedRead(
    lambda order_id: (
        LedgerTransaction.objects.filter(order_id=order_id)
        .order_by("created_at", "id")
        .values_list(*columns(LedgerTransaction))
    ),
    "order_id",
)
_ledger_entries = PreparedRead(
    lambda order_id: (
        LedgerEntry.objects.filter(transaction__order_id=order_id)
        .order_by("id")
        .values_list(*columns(LedgerEntry), *columns(Account, "account__", ("id", "kind")))
    ),
    "order_id",
)
_payments = PreparedRead(
    lambda order_id: (
        Payment.objects.filter(order_id=order_id).order_by("created_at", "id").values_list(*columns(Payment))
    ),
    "order_id",
)
_refunds = PreparedRead(
    lambda order_id: (
        Refund.objects.filter(order_id=order_id).order_by("created_at", "id").values_list(*columns(Refund))
    ),
    "order_id",
)


def _grouped(rows: list, key: str) -> dict[int, list]:
    groups: dict[int, list] = {}
    for obj in rows:
        groups.setdefault(getattr(obj, key), []).append(obj)
    return groups


def _order_read(*, pk, user, reads: _OrderReads) -> Order:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such order.")) from None
    party, support = reads.heads
    heads = support(order_id=pk) if is_support(user) else party(order_id=pk, user_id=user.pk)
    if not heads:
        raise NotFound(_("No such order."))
    row = heads[0]
    order = instance(Order, row)
    order.client = instance(User, row, "client__")
    order.provider = instance(User, row, "provider__")
    order.policy = instance(Policy, row, "policy__")
    if reads.listing:
        order.listing = instance(Listing, row, "listing__")
    cancellation = instance(Cancellation, row, "cancellation__")
    if cancellation is not None:
        cancellation.actor = instance(User, row, "cancellation__actor__")
        cancellation.policy = instance(Policy, row, "cancellation__policy__")
        cancellation.quote = instance(CancellationQuote, row, "cancellation__quote__")
        order.cancellation = cancellation
    else:
        Order.cancellation.related.set_cached_value(order, None)

    history = []
    for r in reads.history(order_id=pk, content_type_id=ContentType.objects.get_for_model(Order).pk):
        log = instance(TransitionLog, r)
        if log.actor_id is not None:
            log.actor = instance(User, r, "actor__")
        history.append(log)

    deliveries = [instance(Delivery, r) for r in _deliveries(order_id=pk)]
    if deliveries:
        files = _grouped([instance(DeliveryFile, r) for r in _delivery_files(order_id=pk)], "delivery_id")
        for delivery in deliveries:
            delivery.order = order
            for delivery_file in files.get(delivery.pk, []):
                delivery_file.delivery = delivery
            attach(delivery, files=files.get(delivery.pk, []))

    transactions = [instance(LedgerTransaction, r) for r in _ledger_transactions(order_id=pk)]
    if transactions:
        entries = []
        for r in _ledger_entries(order_id=pk):
            entry = instance(LedgerEntry, r)
            entry.account = instance(Account, r, "account__")
            entries.append(entry)
        by_transaction = _grouped(entries, "transaction_id")
        for transaction in transactions:
            attach(transaction, entries=by_transaction.get(transaction.pk, []))

    payments = [instance(Payment, r) for r in _payments(order_id=pk)]
    attach(order, history=history, deliveries=deliveries, ledger_transactions=transactions, payments=payments)
    if cancellation is not None:  # only a cancellation writes refunds
        by_id = {payment.pk: payment for payment in payments}
        refunds = [instance(Refund, r) for r in _refunds(order_id=pk)]
        for refund in refunds:
            if refund.payment_id in by_id:  # always, unless the data is broken (then it is read when used)
                refund.payment = by_id[refund.payment_id]
        attach(order, refunds=refunds)
    return order


def order_get(*, pk, user) -> Order:
    """One order for its page, every column of it, its people, policy, listing and cancellation,
    with its history, deliveries, money trail and refunds; 404 if it is not the user's."""
    return _order_read(pk=pk, user=user, reads=_FOR_PAGE)


def order_detail_get(*, pk, user) -> Order:
    """One order for the API's detail: what :func:`order_get` gives, with only the columns the
    detail shows of its people, policies and quote (no listing); 404 if it is not the user's."""
    return _order_read(pk=pk, user=user, reads=_FOR_API)


_ACTION_HEAD = (*columns(Order), *columns(Policy, "policy__"), *columns(User, "client__"), *columns(User, "provider__"))
_action_head_for_party = PreparedRead(
    lambda order_id, user_id: (
        Order.objects.filter(Q(client_id=user_id) | Q(provider_id=user_id), pk=order_id)
        .order_by()
        .values_list(*_ACTION_HEAD)
    ),
    "order_id",
    "user_id",
)
_action_head_for_support = PreparedRead(
    lambda order_id: Order.objects.filter(pk=order_id).order_by().values_list(*_ACTION_HEAD), "order_id"
)


def order_get_for_action(*, pk, user) -> Order:
    """The order an action or a quote is about, with its policy and both people (every column:
    the services notify them), without its history: 404 if it is not the user's. A prepared
    read (compiled once per process): every action and every quote starts here."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such order.")) from None
    if is_support(user):
        heads = _action_head_for_support(order_id=pk)
    else:
        heads = _action_head_for_party(order_id=pk, user_id=user.pk)
    if not heads:
        raise NotFound(_("No such order."))
    row = heads[0]
    order = instance(Order, row)
    order.policy = instance(Policy, row, "policy__")
    order.client = instance(User, row, "client__")
    order.provider = instance(User, row, "provider__")
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


_latest_messages = PreparedRead(
    lambda limit, order_id: (
        Message.objects.filter(order_id=order_id)
        .order_by("-created_at", "-id")
        .values_list(*columns(Message), *columns(User, "author__"))[:limit]
    ),
    "order_id",
)
_thread_attachments = PreparedRead(
    lambda order_id: (
        MessageAttachment.objects.filter(message__order_id=order_id)
        .order_by("id")
        .values_list(*columns(MessageAttachment))
    ),
    "order_id",
)
_my_thread_reports = PreparedRead(
    lambda order_id, user_id: (
        MessageReport.objects.filter(message__order_id=order_id, reporter_id=user_id)
        .order_by("-created_at", "-id")
        .values_list(*columns(MessageReport))
    ),
    "order_id",
    "user_id",
)


def order_thread_latest(*, order, user, limit: int) -> list[Message]:
    """The newest ``limit`` messages of the thread as ``user`` sees it, newest first, as
    :func:`order_thread_for` shapes them (author, attachments, ``my_reports``): prepared reads,
    the last two only when there are messages."""
    found = []
    for row in _latest_messages(variant=(limit,), order_id=order.pk):
        message = instance(Message, row)
        message.author = instance(User, row, "author__")
        message.order = order
        found.append(message)
    if found:
        files: dict[int, list] = {}
        for row in _thread_attachments(order_id=order.pk):
            files.setdefault(row["message_id"], []).append(instance(MessageAttachment, row))
        reports: dict[int, list] = {}
        for row in _my_thread_reports(order_id=order.pk, user_id=user.pk):
            reports.setdefault(row["message_id"], []).append(instance(MessageReport, row))
        for message in found:
            attach(message, attachments=files.get(message.pk, []))
            message.my_reports = reports.get(message.pk, [])
    return found


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
