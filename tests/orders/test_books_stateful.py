"""Any sequence of orders, completions, cancellations, changed terms, payouts and deposits keeps the
books balanced (hypothesis, stateful): after every step the reconciliation finds no difference, no
holding account of the platform goes the wrong way, and a provider's balance is negative only
where fees were netted beyond their money (and the wallet shows it as owed)."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.exceptions import ApplicationError
from credit.services import credit_adjust
from disputes.services.requests import request_accept, request_open
from orders import deposits, payouts, services
from orders.cancellation import order_cancel
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, Charge, ChargeStatus, LedgerEntry, Order, OrderState, Policy
from orders.reconciliation import reconcile
from orders.refunds import charge_settle
from orders.services import policy_current
from orders.wallet import wallet_for
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory, support_user

pytestmark = pytest.mark.django_db

PRICES = st.sampled_from([Decimal("25.00"), Decimal("80.00"), Decimal("133.33"), Decimal("999.99")])


class Books(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.people = [UserFactory() for _ in range(3)]
        self.orders: list[int] = []
        self.clock = timezone.now()
        # Deposits on: workers under 80 hold 30.00 before shifts above 50.00 (most prices drawn).
        policy_current()
        Policy.objects.update(
            deposit_below_score=80, deposit_above_price=Decimal("50.00"), deposit_amount=Decimal("30")
        )
        self.agent = support_user()
        for person in self.people[:2]:  # two of the three start under the score
            credit_adjust(user=person, delta=-30, actor=self.agent, reason="Late three times")

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def _at(self, minutes: int = 0):
        """The machine's clock: each step a little later than the last (the undo window passes)."""
        self.clock += timedelta(minutes=10 + minutes)
        return time_machine.travel(self.clock, tick=False)

    def _open(self, *states) -> list[Order]:
        return list(Order.objects.filter(pk__in=self.orders, state__in=states).order_by("pk"))

    @rule(price=PRICES, client=st.integers(0, 2), provider=st.integers(0, 2), hours=st.integers(1, 72))
    def book_a_shift(self, price, client, provider, hours):
        if client == provider:
            return
        with self._at():
            listing = ShiftListingFactory(
                owner=self.people[client], price=price, starts_at=self.clock + timedelta(hours=hours)
            )
            # Refused for a clash with another shift of theirs, or a restriction after penalties.
            with contextlib.suppress(ApplicationError):
                self.orders.append(services.order_create(actor=self.people[provider], listing_id=listing.pk).pk)

    @rule(price=PRICES, client=st.integers(0, 2), provider=st.integers(0, 2))
    def order_a_service_and_complete_it(self, price, client, provider):
        if client == provider:
            return
        with self._at():
            listing = ServiceListingFactory(owner=self.people[provider], price=price)
            try:
                order = services.order_create(actor=self.people[client], listing_id=listing.pk)
                order = services.order_submit_requirements(order=order, actor=order.client, requirements="Go")
                order = services.order_deliver(order=order, actor=order.provider, message="Done", files=[])
                services.order_accept_delivery(order=order, actor=order.client)
            except ApplicationError:
                return
            self.orders.append(order.pk)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), by=st.sampled_from(["client", "provider"]))
    def cancel_a_booked_shift(self, data, by):
        booked = self._open(OrderState.BOOKED)
        if not booked:
            return
        order = data.draw(st.sampled_from(booked))
        with self._at(), contextlib.suppress(ApplicationError):
            order_cancel(order=order, actor=getattr(order, by), reason="schedule_change")

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), raise_by=st.sampled_from([Decimal("-10.00"), Decimal("15.50"), Decimal("40.00")]))
    def change_a_shifts_pay(self, data, raise_by):
        booked = self._open(OrderState.BOOKED)
        if not booked:
            return
        order = data.draw(st.sampled_from(booked))
        with self._at():
            try:
                asked = request_open(
                    order=order,
                    actor=order.client,
                    type="change_terms",
                    new_price=order.price + raise_by,
                    message="New pay",
                )
                request_accept(resolution_request=asked, actor=order.provider)
            except ApplicationError:
                return
            # As the task queued when the answer commits does: a raise is charged into escrow.
            for charge in Charge.objects.filter(order=order, status=ChargeStatus.PENDING):
                charge_settle(charge_id=charge.pk)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def complete_a_shift(self, data):
        booked = self._open(OrderState.BOOKED)
        if not booked:
            return
        order = data.draw(st.sampled_from(booked))
        with time_machine.travel(order.starts_at, tick=False):
            order = services.order_check_in(order=order, actor=order.provider)
        with time_machine.travel(order.ends_at, tick=False):
            services.order_complete(order=order, actor=order.client)

    @rule(who=st.integers(0, 2), share=st.sampled_from([Decimal("0.25"), Decimal("1"), Decimal("1.5")]))
    def pay_out(self, who, share):
        person = self.people[who]
        with time_machine.travel(self.clock + timedelta(days=30), tick=False):
            for line in wallet_for(person):
                amount = (max(line.available, Decimal("0")) * share).quantize(Decimal("0.01"))
                try:
                    payout = payouts.payout_request(
                        user=person, amount=max(amount, Decimal("10.00")), currency=line.currency
                    )
                except ApplicationError:
                    continue  # more than available, below the minimum, past the daily limit
                payouts.payout_send(payout_id=payout.pk)

    @initialize(share=st.sampled_from(["10.00", None]))
    def deposits_put_down_by_card(self, share):
        """The two workers under the score start with a deposit (whole, or a part of it)."""
        for person in self.people[:2]:
            deposits.deposit_pay(user=person, currency="EUR", amount=share, source="card")

    @rule(price=PRICES, client=st.integers(0, 2), provider=st.integers(0, 2), hours=st.sampled_from([1, 5, 30]))
    def book_a_shift_and_cancel_it_as_its_worker(self, price, client, provider, hours):
        """The deposit's case: a late cancellation's fee is taken from it first."""
        if client == provider:
            return
        with self._at():
            listing = ShiftListingFactory(
                owner=self.people[client], price=price, starts_at=self.clock + timedelta(hours=hours)
            )
            try:
                order = services.order_create(actor=self.people[provider], listing_id=listing.pk)
            except ApplicationError:
                return
            self.orders.append(order.pk)
        with self._at():
            order_cancel(order=order, actor=order.provider, reason="schedule_change")

    @rule(who=st.integers(0, 2), delta=st.sampled_from([-25, 25]))
    def change_a_score(self, who, delta):
        with contextlib.suppress(ApplicationError):
            credit_adjust(user=self.people[who], delta=delta, actor=self.agent, reason="Reviewed")

    @rule(who=st.integers(0, 2), source=st.sampled_from(["wallet", "card"]), amount=st.sampled_from([None, "10.00"]))
    def put_down_a_deposit(self, who, source, amount):
        with time_machine.travel(self.clock + timedelta(days=30), tick=False), contextlib.suppress(ApplicationError):
            deposits.deposit_pay(user=self.people[who], currency="EUR", amount=amount, source=source)

    @rule(who=st.integers(0, 2))
    def ask_for_the_deposit_back(self, who):
        with contextlib.suppress(ApplicationError):
            deposits.deposit_return(user=self.people[who], currency="EUR")

    @rule()
    def return_deposits_no_longer_asked(self):
        deposits.return_deposits()

    @invariant()
    def the_books_balance(self):
        assert reconcile().differences == []

    @invariant()
    def holding_accounts_hold(self):
        for kind in (AccountKind.ESCROW, AccountKind.PAYOUTS, AccountKind.REFUNDS):
            assert account_balance(account_for(kind=kind, currency="EUR")) <= 0  # a credit balance, or none
        for person in self.people:
            assert deposits.deposit_held(person.pk, "EUR") >= 0

    @invariant()
    def negative_only_where_fees_were_netted(self):
        for person in self.people:
            for line in wallet_for(person):
                if line.available < 0:
                    fees = LedgerEntry.objects.filter(
                        account__user=person, account__kind=AccountKind.PROVIDER, transaction__kind="provider_fee"
                    )
                    assert fees.exists() and line.owed == -line.available


def test_any_sequence_keeps_the_books_balanced():
    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
