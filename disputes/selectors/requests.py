"""Reads of resolution requests: lists, one request, the consequences preview, responsiveness."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.prepared import PreparedRead, columns, count_of, counted, instance
from core.support import is_support
from credit.rates import CompletionRateEffect
from disputes.models import AwayPeriod, RequestState, RequestType, ResolutionRequest
from disputes.windows import Period
from marketplace.models import Availability, User
from orders.cancellation import cancellation_decide, refusal_message
from orders.completion import completion_rate_effect_for
from orders.models import Order, Policy
from orders.policy import Decision, Outcome
from orders.selectors import policy_in_force
from orders.terms import Terms, TermsPreview, terms_preview


def request_recipient_id(resolution_request: ResolutionRequest, order: Order | None = None) -> int:
    """The party who must answer: the one who did not write the request."""
    order = order or resolution_request.order
    return order.provider_id if resolution_request.author_role == "client" else order.client_id


def request_recipient_role(resolution_request: ResolutionRequest) -> str:
    return "provider" if resolution_request.author_role == "client" else "client"


def request_list_for_order(*, order: Order) -> QuerySet[ResolutionRequest]:
    """Every request of ``order``, newest first, with who wrote and who answered it."""
    return (
        ResolutionRequest.objects.filter(order=order)
        .select_related("author", "responded_by")
        .order_by("-created_at", "-id")
    )


_requests_of_order = PreparedRead(
    lambda order_id: (
        ResolutionRequest.objects.filter(order_id=order_id)
        .order_by("-created_at", "-id")
        .values_list(*columns(ResolutionRequest), *columns(User, "author__"), *columns(User, "responded_by__"))
    ),
    "order_id",
)


def requests_of_order(*, order: Order) -> list[ResolutionRequest]:
    """What :func:`request_list_for_order` finds, by a prepared read (the order page's Resolution
    Center): each request with its author and who answered it, its order the one given."""
    found = []
    for row in _requests_of_order(order_id=order.pk):
        resolution_request = instance(ResolutionRequest, row)
        resolution_request.author = instance(User, row, "author__")
        if resolution_request.responded_by_id is not None:
            resolution_request.responded_by = instance(User, row, "responded_by__")
        resolution_request.order = order
        found.append(resolution_request)
    return found


def request_open_for_order(*, order: Order) -> ResolutionRequest | None:
    return request_list_for_order(order=order).filter(state=RequestState.OPEN).first()


def request_get(*, pk, user) -> ResolutionRequest:
    """One request with its order; 404 unless ``user`` is a party of the order (or staff)."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such request.")) from None
    qs = ResolutionRequest.objects.select_related(
        "author", "responded_by", "order__client", "order__provider", "order__policy"
    )
    if not is_support(user):
        qs = qs.filter(Q(order__client=user) | Q(order__provider=user))
    found = qs.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such request."))
    return found


def request_actions_for(resolution_request: ResolutionRequest, user) -> list[str]:
    """What ``user`` may do with the request now: accept, decline, respond, withdraw."""
    if resolution_request.state != RequestState.OPEN:
        return []
    role = resolution_request.order.role_of(user)
    if role is None:
        return []
    if role == resolution_request.author_role:
        return ["withdraw"]
    if resolution_request.type == RequestType.REQUEST_UPDATE:
        return ["respond"] if role == "provider" else []
    return ["accept", "decline"]


def request_can_escalate(resolution_request: ResolutionRequest, user) -> bool:
    """A declined request may go to support, by either party, once (see ``request_escalation_check``)."""
    return (
        resolution_request.state == RequestState.DECLINED
        and resolution_request.order.role_of(user) is not None
        and not hasattr(resolution_request, "escalated_to")
    )


# --- Windows ---------------------------------------------------------------------------------


def paused_periods_for(*, user_id: int, since: datetime, now: datetime | None = None) -> list[Period]:
    """The time away of ``user_id`` that is not over at ``since``, as closed periods.

    What the disputes app recorded of earlier announcements (``AwayPeriod``: elapsed parts
    stay when an announcement is withdrawn or replaced) together with the announcement in
    force, counted from when it was made (time away announced after the fact does not move a
    deadline back). Time away without a return date is counted until ``now``: the windows are
    recomputed when it ends (``requests_reschedule_for_provider``), and while it lasts the
    expiry sweep leaves the requests sent to that person alone.
    """
    now = now or timezone.now()
    recorded = AwayPeriod.objects.filter(user_id=user_id).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=since))
    periods = [(p.starts_at, p.ends_at or max(now, p.starts_at)) for p in recorded]
    current = announced_period(user_id=user_id, now=now)
    if current is not None:
        periods.append((current[0], current[1] or max(now, current[0])))
    return [(start, end) for start, end in periods if end > since and end > start]


def announced_period(*, user_id: int, now: datetime) -> tuple[datetime, datetime | None] | None:
    """The announcement in force of ``user_id`` as windows count it: (from, until or None), or None."""
    availability = Availability.objects.filter(user_id=user_id).first()
    if availability is None or (availability.away_until is not None and availability.away_until <= now):
        return None
    start = max(availability.away_from, availability.updated_at or availability.away_from)
    if availability.away_until is not None and availability.away_until <= start:
        return None
    return start, availability.away_until


@dataclass(frozen=True)
class WindowPause:
    """Announced time away of the party who must answer that stops (or will stop) the window's clock."""

    name: str
    away_from: datetime
    away_until: datetime | None
    away_now: bool


def request_window_pause(resolution_request: ResolutionRequest, *, now: datetime | None = None) -> WindowPause | None:
    """For an open request sent to the provider: their time away that pauses its window, if any.

    The announcement in force when it is under way or starts before the window ends; what it
    already added is in ``respond_by``.
    """
    if resolution_request.state != RequestState.OPEN or resolution_request.author_role != "client":
        return None
    now = now or timezone.now()
    order = resolution_request.order
    availability = Availability.objects.filter(user_id=order.provider_id).first()
    if availability is None or (availability.away_until is not None and availability.away_until <= now):
        return None
    if availability.away_from >= resolution_request.respond_by:
        return None
    return WindowPause(
        name=order.provider.public_name,
        away_from=availability.away_from,
        away_until=availability.away_until,
        away_now=availability.away_from <= now,
    )


def waiting_on_time_away(*, at: datetime) -> Q:
    """Requests whose clock is stopped at ``at``: sent to a provider who is away, by an announcement
    made and begun before the window ended.

    Finite time away is already in ``respond_by``; this keeps the sweeps off requests waiting on
    someone away with no return date. Time away announced only after the window ended stops
    nothing: the request is due.
    """
    away = Availability.objects.filter(
        Q(away_until__isnull=True) | Q(away_until__gt=at),
        user_id=OuterRef("order__provider_id"),
        away_from__lte=at,
        away_from__lt=OuterRef("respond_by"),
        updated_at__lt=OuterRef("respond_by"),
    )
    return Q(author_role="client") & Q(Exists(away))


def requests_due_to_expire(*, now: datetime) -> QuerySet[ResolutionRequest]:
    """Open requests whose window has closed at ``now``: silence decides them.

    Past ``respond_by``, except those on hold while the provider they wait on is away with no
    return date (``waiting_on_time_away``). The expiry sweep takes these, and an answer to one
    of them is too late.
    """
    return ResolutionRequest.objects.filter(state=RequestState.OPEN, respond_by__lte=now).exclude(
        waiting_on_time_away(at=now)
    )


# --- Consequences before consent ---------------------------------------------------------------


@dataclass(frozen=True)
class CancelConsequences:
    """What accepting a cancel request would do now, as the engine decides it (mutual path)."""

    decision: Decision
    currency: str
    completion_effect: CompletionRateEffect | None = None  # the provider's own rate, for the provider only

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    @property
    def outcome(self) -> Outcome | None:
        return self.decision.outcome

    @property
    def message(self) -> str:
        return "" if self.allowed else refusal_message(self.decision.code)

    @property
    def client_side_reason(self) -> str:
        """The client's reason when it keeps the cancellation from counting against the provider, else ""."""
        return self.decision.extra.get("client_side_reason", "")


def request_consequences(
    *, resolution_request: ResolutionRequest, user, now: datetime | None = None
) -> CancelConsequences | None:
    """The preview of an open cancel request: money, credit and (for the provider) the completion rate.

    The same engine decision that accepting executes, and the same completion-rate selector the
    cancellation quote uses. None for other types and closed requests. Only the provider sees a
    completion rate: it is theirs, and nobody else's to see.
    """
    if resolution_request.type != RequestType.CANCEL or resolution_request.state != RequestState.OPEN:
        return None
    order = resolution_request.order
    now = now or timezone.now()
    decision = cancellation_decide(
        order=order,
        actor_role="mutual",
        now=now,
        refund_percent=resolution_request.refund_percent,
        asked_by=resolution_request.author_role,
        reason=resolution_request.reason,
    )
    effect = None
    if decision.allowed and order.role_of(user) == "provider":
        effect = completion_rate_effect_for(user, counts=decision.outcome.counts_against_completion_rate, now=now)
    return CancelConsequences(decision=decision, currency=order.currency, completion_effect=effect)


def request_terms_preview(
    *, resolution_request: ResolutionRequest, user, now: datetime | None = None
) -> TermsPreview | None:
    """What accepting and declining an open ``change_terms`` request would mean, for its parties:
    the money difference, the worker's terms if they then left, the employer's if they cancelled
    after a refusal. The clash with another shift the new hours would cause is the worker's own
    business: only they see it. None for other types, closed requests and anyone else."""
    r = resolution_request
    if r.type != RequestType.CHANGE_TERMS or r.state != RequestState.OPEN or r.order.role_of(user) is None:
        return None
    proposed = Terms(starts_at=r.new_starts_at, ends_at=r.new_ends_at, price=r.new_price)
    preview = terms_preview(order=r.order, proposed=proposed, now=now)
    if r.order.role_of(user) != "provider" and preview.clash is not None:
        preview = replace(preview, clash=None)
    return preview


# --- Responsiveness ------------------------------------------------------------------------------


def unanswered_update_requests(*, provider, since: datetime | None = None) -> QuerySet[ResolutionRequest]:
    """Update requests ``provider`` let expire without an answer (their responsiveness record)."""
    qs = ResolutionRequest.objects.filter(
        type=RequestType.REQUEST_UPDATE, state=RequestState.EXPIRED, order__provider=provider
    )
    if since is not None:
        qs = qs.filter(resolved_at__gte=since)
    return qs


def unanswered_update_requests_count(*, provider, since: datetime | None = None) -> int:
    return unanswered_update_requests(provider=provider, since=since).count()


_unanswered_since = PreparedRead(
    lambda provider_id, since: counted(
        unanswered_update_requests(provider=provider_id, since=since), "order__provider_id"
    ),
    "provider_id",
    "since",
    moments=("since",),
)


def unanswered_update_requests_for(provider, *, now: datetime | None = None, policy: Policy | None = None) -> int:
    """Responsiveness: update requests ``provider`` let expire in the completion-rate window
    (a prepared read: the credit endpoint and page make it on every request)."""
    policy = policy or policy_in_force()
    since = (now or timezone.now()) - timedelta(days=policy.completion_window_days)
    return count_of(_unanswered_since(provider_id=provider.pk, since=since))
