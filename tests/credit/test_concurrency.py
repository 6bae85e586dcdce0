"""Concurrent events never lose a score update (PostgreSQL, threads)."""

import pytest

from credit.models import CreditEvent
from credit.services import (
    credit_event_build,
    credit_event_record,
    credit_event_reverse,
    credit_events_write,
    credit_score,
    credit_score_replay,
)
from tests.factories import UserFactory
from tests.orders.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_events_racing_on_one_user_keep_score_equal_to_the_replay():
    user = UserFactory()
    deltas = [-7, -3, +2, -11, -5, +1, -9, -4]

    results = race(*[lambda d=d: credit_event_record(user=user, delta=d, reason="manual") for d in deltas])

    assert all(isinstance(r, CreditEvent) for r in results)
    events = list(CreditEvent.objects.filter(user=user).order_by("id"))
    assert len(events) == len(deltas)
    assert credit_score(user) == credit_score_replay(user) == events[-1].score_after
    # Each event started from the score the one before it left: no update was lost.
    previous = 100
    for event in events:
        assert event.score_after == max(0, min(100, previous + event.delta))
        previous = event.score_after


def test_batches_naming_two_users_in_opposite_orders_neither_deadlock_nor_lose_updates():
    # given: each batch moves both users, listed in the other batch's order
    a, b = UserFactory(), UserFactory()

    def batch(first, second, delta):
        rows = [credit_event_build(user_id=u.pk, delta=delta, reason="manual") for u in (first, second)]
        return credit_events_write(rows)

    # when
    results = race(*[lambda i=i: batch(a, b, -1) if i % 2 else batch(b, a, -2) for i in range(8)])

    # then: accounts are locked in one order, so every batch went through
    assert not [r for r in results if isinstance(r, Exception)]
    for user in (a, b):
        assert credit_score(user) == credit_score_replay(user) == 100 - 4 * 1 - 4 * 2


def test_two_staff_reversing_one_event_at_once_make_one_reversal():
    # given
    user, staff = UserFactory(), UserFactory(support=True)
    event = credit_event_record(user=user, delta=-20, reason="manual")

    # when
    results = race(*[lambda: credit_event_reverse(event=event, actor=staff, detail="upheld") for _ in range(4)])

    # then: the event row lock makes the second reversal find the first
    assert all(isinstance(r, CreditEvent) for r in results)
    assert len({r.pk for r in results}) == 1
    assert CreditEvent.objects.filter(reverses=event).count() == 1
    assert credit_score(user) == credit_score_replay(user) == 100
