"""The pure cancellation engine: every state/actor pair decided, money conserved, monotonic."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders.policy import DEFAULT_RULES, OrderFacts, Path, Refusal, Windows, decide, outcome_for

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
WINDOWS = Windows()
prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2)
SERVICE_STATES = ["awaiting_requirements", "in_progress", "late", "delivered", "completed", "cancelled"]
SHIFT_STATES = ["booked", "checked_in", "completed", "cancelled"]
ROLES = ["client", "provider", "system", "stranger"]


def shift(hours_to_start: float, price=Decimal("100.00"), state="booked") -> OrderFacts:
    return OrderFacts(
        kind="shift",
        state=state,
        price=price,
        created_at=NOW - timedelta(days=3),
        starts_at=NOW + timedelta(hours=hours_to_start),
    )


def service(state: str, price=Decimal("100.00"), due_in_hours: float = 48, age_days: float = 1) -> OrderFacts:
    return OrderFacts(
        kind="service",
        state=state,
        price=price,
        created_at=NOW - timedelta(days=age_days),
        due_at=NOW + timedelta(hours=due_in_hours),
    )


def run(facts, role, **kw):
    return decide(facts=facts, actor_role=role, now=NOW, rules=DEFAULT_RULES, windows=WINDOWS, **kw)


@pytest.mark.parametrize(
    ("hours", "role", "refund", "comp", "fee", "credit"),
    [
        (30, "provider", "100.00", "0.00", "0.00", 0),
        (10, "provider", "100.00", "0.00", "10.00", 0),
        (1, "provider", "100.00", "0.00", "10.00", -10),
        (30, "client", "100.00", "0.00", "0.00", 0),
        (10, "client", "90.00", "10.00", "0.00", 0),
        (1, "client", "70.00", "30.00", "0.00", 0),
    ],
)
def test_shift_tiers_match_the_product_table(hours, role, refund, comp, fee, credit):
    decision = run(shift(hours), role)

    assert decision.allowed
    o = decision.outcome
    assert (o.refund_to_client, o.compensation_to_provider, o.fee_to_platform, o.credit_delta) == (
        Decimal(refund),
        Decimal(comp),
        Decimal(fee),
        credit,
    )


def test_provider_late_cancel_counts_as_complaint():
    assert run(shift(1), "provider").outcome.counts_as_complaint


def test_tier_boundary_at_exactly_24_hours_is_the_free_tier():
    assert run(shift(24), "provider").outcome.fee_to_platform == 0


def test_quote_is_valid_until_the_next_tier_boundary():
    decision = run(shift(24.1), "provider")

    assert decision.valid_until == NOW + timedelta(hours=24.1) - timedelta(hours=24)


def test_quote_is_valid_for_the_policy_minutes_far_from_a_boundary():
    assert run(shift(40), "client").valid_until == NOW + timedelta(minutes=WINDOWS.quote_valid_minutes)


def test_no_show_only_after_the_window_and_only_by_the_system():
    assert run(shift(-0.5), "system").code == Refusal.NOT_DUE
    decision = run(shift(-1.01), "system")
    assert decision.path == Path.NO_SHOW
    assert (decision.outcome.refund_to_client, decision.outcome.fee_to_platform) == (Decimal(100), Decimal(20))
    assert decision.outcome.credit_delta == -20


def test_client_cancel_awaiting_requirements_is_free_and_does_not_count():
    decision = run(service("awaiting_requirements"), "client")

    assert decision.outcome.refund_to_client == Decimal("100.00")
    assert not decision.outcome.counts_against_completion_rate


def test_in_progress_service_points_to_resolution_center():
    assert run(service("in_progress"), "client").code == Refusal.USE_RESOLUTION_CENTER
    assert run(service("in_progress"), "provider").code == Refusal.USE_RESOLUTION_CENTER


def test_force_cancel_needs_24_hours_past_due():
    early = run(service("late", due_in_hours=-23), "client")
    due = run(service("late", due_in_hours=-24), "client")

    assert early.code == Refusal.LATE_GRACE_NOT_OVER
    assert early.available_from == NOW + timedelta(hours=1)
    assert due.path == Path.CLIENT_FORCE_LATE
    assert due.outcome.credit_delta == -5 and due.outcome.credit_party == "provider"
    assert due.outcome.counts_against_completion_rate


def test_requirements_timeout_after_14_days_without_penalty():
    assert run(service("awaiting_requirements", age_days=13.9), "system").code == Refusal.NOT_DUE
    decision = run(service("awaiting_requirements", age_days=14), "system")
    assert decision.path == Path.REQUIREMENTS_TIMEOUT
    assert decision.outcome.credit_delta == 0
    assert not decision.outcome.counts_against_completion_rate


@pytest.mark.parametrize("fault", ["client", "provider", "force_majeure", "none"])
def test_support_rulings_are_allowed_on_any_open_order(fault):
    decision = run(service("delivered"), "support", ruling_fault=fault)

    assert decision.allowed
    assert decision.outcome.fault == fault


def test_force_majeure_has_no_fee_and_protects_credit():
    o = run(shift(1), "support", ruling_fault="force_majeure").outcome

    assert (o.fee_to_platform, o.credit_delta, o.counts_against_completion_rate) == (0, 0, False)


def test_client_responsible_ruling_costs_the_client_credit():
    o = run(shift(1), "support", ruling_fault="client").outcome

    assert (o.credit_delta, o.credit_party, o.counts_against_completion_rate) == (-10, "client", False)


def test_mutual_uses_the_agreed_split_without_credit_effect():
    o = run(service("in_progress"), "mutual", agreed_refund_percent=Decimal("60")).outcome

    assert (o.refund_to_client, o.compensation_to_provider, o.credit_delta) == (Decimal("60.00"), Decimal("40.00"), 0)


@given(
    state=st.sampled_from(SERVICE_STATES),
    role=st.sampled_from(ROLES),
    hours=st.floats(min_value=-500, max_value=500),
)
def test_every_service_state_and_actor_is_decided(state, role, hours):
    decision = run(service(state, due_in_hours=hours, age_days=abs(hours) / 24), role)

    assert decision.allowed or decision.code
    assert not decision.allowed or decision.outcome is not None


@given(state=st.sampled_from(SHIFT_STATES), role=st.sampled_from(ROLES), hours=st.floats(-500, 500))
def test_every_shift_state_and_actor_is_decided(state, role, hours):
    decision = run(shift(hours, state=state), role)

    assert decision.allowed or decision.code
    if state in ("completed", "cancelled"):
        assert decision.code == Refusal.ORDER_CLOSED


@settings(max_examples=300)
@given(price=prices, hours=st.floats(-0.99, 500), role=st.sampled_from(["client", "provider"]))
def test_money_in_equals_money_out_and_nothing_is_negative(price, hours, role):
    o = run(shift(hours, price=price), role).outcome

    assert o.refund_to_client + o.compensation_to_provider + o.retained_by_platform == price
    for amount in (o.refund_to_client, o.compensation_to_provider, o.retained_by_platform, o.fee_to_platform):
        assert amount >= 0
        assert amount == amount.quantize(Decimal("0.01"))


@settings(max_examples=300)
@given(price=prices, percent=st.decimals(min_value=0, max_value=100, places=2))
def test_agreed_split_conserves_money(price, percent):
    rule = next(r for r in DEFAULT_RULES if r.path == Path.MUTUAL)
    o = outcome_for(rule, price, refund_percent=percent)

    assert o.refund_to_client + o.compensation_to_provider + o.retained_by_platform == price
    assert min(o.refund_to_client, o.compensation_to_provider, o.retained_by_platform) >= 0


@given(price=prices, earlier=st.floats(-0.99, 300), later=st.floats(-0.99, 300))
def test_outcome_is_monotonic_in_time_to_start(price, earlier, later):
    far, near = max(earlier, later), min(earlier, later)
    for role in ("client", "provider"):
        o_far, o_near = run(shift(far, price=price), role).outcome, run(shift(near, price=price), role).outcome
        # The closer to the start, the less the client gets back and the more the provider pays.
        if role == "client":
            assert o_near.refund_to_client <= o_far.refund_to_client
        else:
            assert o_near.fee_to_platform >= o_far.fee_to_platform
            assert o_near.credit_delta <= o_far.credit_delta
