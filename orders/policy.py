"""The cancellation engine: pure functions, no I/O.

Given an order's facts, who wants to cancel, the moment, and the policy's rules and windows,
``decide`` says whether the cancellation is allowed (or why not, as a machine-readable code),
which rule and tier apply, until when that tier holds, and the exact money and credit
outcome. Views, the API, the admin and the sweeps all call it through the cancellation
services; nothing else computes a consequence.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_noop

from core.timeutils import shifted

CENT = Decimal("0.01")
HUNDRED = Decimal("100")


class Path:
    """Every way an order can be cancelled; each has its rule (or tiers) in the policy."""

    CLIENT_AWAITING_REQUIREMENTS = "client_awaiting_requirements"
    CLIENT_FORCE_LATE = "client_force_late"
    CLIENT_SHIFT = "client_shift"
    PROVIDER_SHIFT = "provider_shift"
    NO_SHOW = "no_show"
    REQUIREMENTS_TIMEOUT = "requirements_timeout"
    MUTUAL = "mutual"
    RULING_CLIENT = "ruling_client_responsible"
    RULING_PROVIDER = "ruling_provider_responsible"
    RULING_FORCE_MAJEURE = "ruling_force_majeure"
    RULING_NONE = "ruling_none"

    ALL = (
        CLIENT_AWAITING_REQUIREMENTS,
        CLIENT_FORCE_LATE,
        CLIENT_SHIFT,
        PROVIDER_SHIFT,
        NO_SHOW,
        REQUIREMENTS_TIMEOUT,
        MUTUAL,
        RULING_CLIENT,
        RULING_PROVIDER,
        RULING_FORCE_MAJEURE,
        RULING_NONE,
    )
    RULINGS = {
        "client": RULING_CLIENT,
        "provider": RULING_PROVIDER,
        "force_majeure": RULING_FORCE_MAJEURE,
        "none": RULING_NONE,
    }
    # Paths whose tiers depend on the time left before a shift starts.
    TIERED = (CLIENT_SHIFT, PROVIDER_SHIFT)


class Refusal:
    """Codes for ``allowed: false``; each has a message in the services layer."""

    ORDER_CLOSED = "order_closed"
    NOT_A_PARTY = "not_a_party"
    USE_RESOLUTION_CENTER = "use_resolution_center"
    LATE_GRACE_NOT_OVER = "late_grace_not_over"
    SHIFT_UNDER_WAY = "shift_under_way"
    DELIVERED_USE_RESOLUTION_CENTER = "delivered_use_resolution_center"
    NOT_DUE = "not_due"
    NO_RULE = "no_rule"


@dataclass(frozen=True)
class Rule:
    """One row of a policy: the consequences of one path (and tier) of cancellation."""

    path: str
    label: str = ""
    min_hours_before_start: Decimal | None = None  # tier holds while hours_to_start >= this
    client_refund_percent: Decimal = HUNDRED
    provider_compensation_percent: Decimal = Decimal("0")
    provider_fee_percent: Decimal = Decimal("0")
    credit_delta: int = 0
    credit_party: str = ""  # "client", "provider" or "" (nobody)
    counts_against_completion_rate: bool = False
    counts_as_complaint: bool = False
    fault: str = "none"  # "client", "provider", "force_majeure", "none"


@dataclass(frozen=True)
class Windows:
    late_grace_hours: int = 24
    no_show_minutes: int = 60
    requirements_timeout_days: int = 14
    quote_valid_minutes: int = 15
    booking_undo_minutes: int = 5


@dataclass(frozen=True)
class OrderFacts:
    kind: str  # "service" or "shift"
    state: str
    price: Decimal
    created_at: datetime
    due_at: datetime | None = None
    starts_at: datetime | None = None
    terms_declined_at: datetime | None = None  # the worker declined the employer's changed terms


@dataclass(frozen=True)
class Outcome:
    """Money and credit consequences; refund + compensation + retained == price."""

    refund_to_client: Decimal
    compensation_to_provider: Decimal
    retained_by_platform: Decimal
    fee_to_platform: Decimal  # charged to the provider, on top of the escrow split
    credit_delta: int
    credit_party: str
    counts_against_completion_rate: bool
    counts_as_complaint: bool
    fault: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = ""
    path: str = ""
    tier: str = ""
    outcome: Outcome | None = None
    valid_until: datetime | None = None
    # For a refusal: when the refusal ends on its own (e.g. force-cancel becomes possible).
    available_from: datetime | None = None
    extra: dict = field(default_factory=dict)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def outcome_for(rule: Rule, price: Decimal, *, refund_percent: Decimal | None = None) -> Outcome:
    """The money a rule moves for ``price``; ``refund_percent`` overrides it (agreed splits).

    The client's refund is rounded first; compensation never exceeds what is left in escrow,
    and when refund and compensation make 100 % the compensation takes the remainder, so not
    one cent is created or lost.
    """
    refund_pct = rule.client_refund_percent if refund_percent is None else refund_percent
    comp_pct = rule.provider_compensation_percent if refund_percent is None else HUNDRED - refund_percent
    refund = min(_money(price * refund_pct / HUNDRED), price)
    if refund_pct + comp_pct >= HUNDRED:
        compensation = price - refund
    else:
        compensation = min(_money(price * comp_pct / HUNDRED), price - refund)
    retained = price - refund - compensation
    fee = _money(price * rule.provider_fee_percent / HUNDRED)
    return Outcome(
        refund_to_client=refund,
        compensation_to_provider=compensation,
        retained_by_platform=retained,
        fee_to_platform=fee,
        credit_delta=rule.credit_delta,
        credit_party=rule.credit_party,
        counts_against_completion_rate=rule.counts_against_completion_rate,
        counts_as_complaint=rule.counts_as_complaint,
        fault=rule.fault,
    )


def _tier(rules: Sequence[Rule], path: str, hours_to_start: Decimal | None) -> tuple[Rule | None, Rule | None]:
    """The rule of ``path`` that applies now, and the next (harsher) tier after it."""
    candidates = [r for r in rules if r.path == path]
    if path not in Path.TIERED or hours_to_start is None:
        return (candidates[0] if candidates else None), None
    ordered = sorted(
        candidates,
        key=lambda r: r.min_hours_before_start if r.min_hours_before_start is not None else Decimal("-Infinity"),
        reverse=True,
    )
    for i, rule in enumerate(ordered):
        if rule.min_hours_before_start is None or hours_to_start >= rule.min_hours_before_start:
            return rule, (ordered[i + 1] if i + 1 < len(ordered) else None)
    return None, None


def _refuse(code: str, **kwargs) -> Decision:
    return Decision(allowed=False, code=code, **kwargs)


def _allow(
    rules: Sequence[Rule],
    path: str,
    facts: OrderFacts,
    now: datetime,
    windows: Windows,
    *,
    boundary: datetime | None = None,
    refund_percent: Decimal | None = None,
) -> Decision:
    hours_to_start = None
    if facts.starts_at is not None and path in Path.TIERED:
        hours_to_start = Decimal((facts.starts_at - now).total_seconds()) / Decimal(3600)
    rule, next_rule = _tier(rules, path, hours_to_start)
    if rule is None:
        return _refuse(Refusal.NO_RULE, path=path)
    if next_rule is not None and rule.min_hours_before_start is not None:
        boundary = shifted(facts.starts_at, -timedelta(hours=float(rule.min_hours_before_start)))
    valid_until = now + timedelta(minutes=windows.quote_valid_minutes)
    if boundary is not None:
        valid_until = min(valid_until, boundary)
    return Decision(
        allowed=True,
        path=path,
        tier=rule.label or path,
        outcome=outcome_for(rule, facts.price, refund_percent=refund_percent),
        valid_until=valid_until,
    )


OPEN_SERVICE = ("awaiting_requirements", "in_progress", "late", "delivered")
OPEN_SHIFT = ("booked", "checked_in")


def decide(
    *,
    facts: OrderFacts,
    actor_role: str,
    now: datetime,
    rules: Sequence[Rule],
    windows: Windows,
    ruling_fault: str | None = None,
    agreed_refund_percent: Decimal | None = None,
    asked_by: str = "",
    reason: str = "",
    client_side_reasons: Collection[str] = (),
) -> Decision:
    """Decide a cancellation of an order by ``actor_role`` at ``now``.

    ``actor_role`` is "client", "provider", "system", "support" (with ``ruling_fault``) or
    "mutual" (with ``agreed_refund_percent``); anyone else is not a party. A mutual
    cancellation the client asked for (``asked_by``) with a ``reason`` among the policy's
    ``client_side_reasons`` counts neither against the provider's completion rate nor as a
    complaint, whatever the mutual rule says: fault follows who asked and why.
    """
    if facts.state not in OPEN_SERVICE + OPEN_SHIFT:
        return _refuse(Refusal.ORDER_CLOSED)

    if actor_role == "support":
        path = Path.RULINGS.get(ruling_fault or "none", Path.RULING_NONE)
        refund = agreed_refund_percent
        return _allow(rules, path, facts, now, windows, refund_percent=refund)
    if actor_role == "mutual":
        decision = _allow(rules, Path.MUTUAL, facts, now, windows, refund_percent=agreed_refund_percent)
        if decision.allowed and asked_by == "client" and reason in client_side_reasons:
            outcome = replace(decision.outcome, counts_against_completion_rate=False, counts_as_complaint=False)
            decision = replace(decision, outcome=outcome, extra={"client_side_reason": reason})
        return decision

    if facts.kind == "service":
        return _decide_service(facts, actor_role, now, rules, windows)
    return _decide_shift(facts, actor_role, now, rules, windows)


def _decide_service(facts: OrderFacts, actor_role: str, now: datetime, rules, windows: Windows) -> Decision:
    # Dates may lie as far as the calendar goes (an order due in 9999): ``shifted`` stops at its end.
    timeout_at = shifted(facts.created_at, timedelta(days=windows.requirements_timeout_days))
    if actor_role == "system":
        if facts.state == "awaiting_requirements" and now >= timeout_at:
            return _allow(rules, Path.REQUIREMENTS_TIMEOUT, facts, now, windows)
        return _refuse(Refusal.NOT_DUE)
    if actor_role == "client":
        if facts.state == "awaiting_requirements":
            return _allow(rules, Path.CLIENT_AWAITING_REQUIREMENTS, facts, now, windows, boundary=timeout_at)
        if facts.state == "late" and facts.due_at is not None:
            force_from = shifted(facts.due_at, timedelta(hours=windows.late_grace_hours))
            if now >= force_from:
                return _allow(rules, Path.CLIENT_FORCE_LATE, facts, now, windows)
            return _refuse(Refusal.LATE_GRACE_NOT_OVER, available_from=force_from)
        if facts.state == "in_progress" and facts.due_at is not None:
            return _refuse(
                Refusal.USE_RESOLUTION_CENTER,
                available_from=shifted(facts.due_at, timedelta(hours=windows.late_grace_hours)),
            )
        if facts.state == "delivered":
            return _refuse(Refusal.DELIVERED_USE_RESOLUTION_CENTER)
        return _refuse(Refusal.USE_RESOLUTION_CENTER)
    if actor_role == "provider":
        return _refuse(Refusal.USE_RESOLUTION_CENTER)
    return _refuse(Refusal.NOT_A_PARTY)


def _decide_shift(facts: OrderFacts, actor_role: str, now: datetime, rules, windows: Windows) -> Decision:
    no_show_at = shifted(facts.starts_at, timedelta(minutes=windows.no_show_minutes))
    if actor_role == "system":
        if facts.state == "booked" and now >= no_show_at:
            return _allow(rules, Path.NO_SHOW, facts, now, windows)
        return _refuse(Refusal.NOT_DUE)
    if actor_role not in ("client", "provider"):
        return _refuse(Refusal.NOT_A_PARTY)
    if facts.state == "checked_in":
        return _refuse(Refusal.SHIFT_UNDER_WAY)
    if now > no_show_at:
        # The no-show rule takes over from here; only the system applies it. At the very moment
        # itself a party's quote (valid until then) still holds; row locks order the two.
        return _refuse(Refusal.SHIFT_UNDER_WAY)
    if actor_role == "provider" and facts.state == "booked" and windows.booking_undo_minutes:
        undo_until = facts.created_at + timedelta(minutes=windows.booking_undo_minutes)
        if now < undo_until:
            return _undo(facts, now, windows, undo_until)
    if actor_role == "provider" and facts.state == "booked" and facts.terms_declined_at is not None:
        return _free(facts, now, windows, TERMS_DECLINED_TIER)
    path = Path.CLIENT_SHIFT if actor_role == "client" else Path.PROVIDER_SHIFT
    return _allow(rules, path, facts, now, windows, boundary=no_show_at)


UNDO_TIER = gettext_noop("booking undone within minutes of making it: free")


def _undo(facts: OrderFacts, now: datetime, windows: Windows, undo_until: datetime) -> Decision:
    """A worker undoes a booking made by mistake within the policy's minutes: free for both — the
    client refunded in full, no fee, no credit change, nothing counted (a rule of its own, not a
    tier of the policy's table). The quote holds until the minutes run out."""
    free = Rule(Path.PROVIDER_SHIFT, UNDO_TIER)
    return Decision(
        allowed=True,
        path=Path.PROVIDER_SHIFT,
        tier=UNDO_TIER,
        outcome=outcome_for(free, facts.price),
        valid_until=min(now + timedelta(minutes=windows.quote_valid_minutes), undo_until),
        extra={"undo_until": undo_until},
    )


TERMS_DECLINED_TIER = gettext_noop("changed terms declined: the worker may leave free")


def _free(facts: OrderFacts, now: datetime, windows: Windows, tier: str) -> Decision:
    """A worker who declined the employer's changed hours or pay leaves free of any consequence:
    the client refunded in full, no fee, no credit change, nothing counted (PRODUCT.md: "the
    worker may then cancel without penalty if the employer insists")."""
    return Decision(
        allowed=True,
        path=Path.PROVIDER_SHIFT,
        tier=tier,
        outcome=outcome_for(Rule(Path.PROVIDER_SHIFT, tier), facts.price),
        valid_until=min(now + timedelta(minutes=windows.quote_valid_minutes), facts.starts_at),
    )


# --- The defaults of PRODUCT.md, shared by the data migration and the tests -------------

D = Decimal
DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(Path.CLIENT_AWAITING_REQUIREMENTS, "before requirements"),
    Rule(Path.PROVIDER_SHIFT, "≥ 24 h before start", min_hours_before_start=D(24)),
    Rule(
        Path.PROVIDER_SHIFT,
        "2–24 h before start",
        min_hours_before_start=D(2),
        provider_fee_percent=D(10),
        counts_against_completion_rate=True,
        fault="provider",
    ),
    Rule(
        Path.PROVIDER_SHIFT,
        "< 2 h before start",
        provider_fee_percent=D(10),
        credit_delta=-10,
        credit_party="provider",
        counts_as_complaint=True,
        counts_against_completion_rate=True,
        fault="provider",
    ),
    Rule(
        Path.NO_SHOW,
        "no-show",
        provider_fee_percent=D(20),
        credit_delta=-20,
        credit_party="provider",
        counts_as_complaint=True,
        counts_against_completion_rate=True,
        fault="provider",
    ),
    Rule(Path.CLIENT_SHIFT, "≥ 24 h before start", min_hours_before_start=D(24)),
    Rule(
        Path.CLIENT_SHIFT,
        "2–24 h before start",
        min_hours_before_start=D(2),
        client_refund_percent=D(90),
        provider_compensation_percent=D(10),
    ),
    Rule(Path.CLIENT_SHIFT, "< 2 h before start", client_refund_percent=D(70), provider_compensation_percent=D(30)),
    Rule(
        Path.CLIENT_FORCE_LATE,
        "≥ 24 h past due",
        credit_delta=-5,
        credit_party="provider",
        counts_against_completion_rate=True,
        fault="provider",
    ),
    Rule(Path.REQUIREMENTS_TIMEOUT, "no requirements for 14 days", fault="client"),
    # Counts unless the same client re-orders the same provider within 14 days (credit app).
    Rule(Path.MUTUAL, "mutual agreement", counts_against_completion_rate=True),
    Rule(Path.RULING_CLIENT, "client responsible", credit_delta=-10, credit_party="client", fault="client"),
    Rule(
        Path.RULING_PROVIDER,
        "provider responsible",
        credit_delta=-10,
        credit_party="provider",
        counts_against_completion_rate=True,
        fault="provider",
    ),
    Rule(Path.RULING_FORCE_MAJEURE, "force majeure", fault="force_majeure"),
    Rule(Path.RULING_NONE, "no fault"),
)


# The default rules' tier labels and the default policy's name, translated where shown (system_text).
_LABELS = (
    gettext_noop("2–24 h before start"),
    gettext_noop("< 2 h before start"),
    gettext_noop("before requirements"),
    gettext_noop("client responsible"),
    gettext_noop("force majeure"),
    gettext_noop("mutual agreement"),
    gettext_noop("no fault"),
    gettext_noop("no requirements for 14 days"),
    gettext_noop("no-show"),
    gettext_noop("provider responsible"),
    gettext_noop("≥ 24 h before start"),
    gettext_noop("≥ 24 h past due"),
    gettext_noop("Gigfair standard terms"),
)
