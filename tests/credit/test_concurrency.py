"""Concurrent events never lose a score update (PostgreSQL, threads)."""

import pytest

from credit.models import CreditEvent
from credit.services import credit_event_record, credit_score, credit_score_replay
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
