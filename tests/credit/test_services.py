"""Credit: an append-only event ledger with the score kept beside it, explained and reversible."""

from datetime import timedelta

import pytest
import time_machine

from core.exceptions import PermissionDenied, ValidationFailed
from credit.models import CreditEvent
from credit.services import (
    credit_adjust,
    credit_event_record,
    credit_event_reverse,
    credit_score,
    credit_score_replay,
)
from orders import services
from tests.factories import UserFactory, service_order, shift_order

pytestmark = pytest.mark.django_db


def test_a_new_user_starts_at_100():
    assert credit_score(UserFactory()) == 100


def test_events_move_the_score_within_0_and_100():
    user = UserFactory()

    credit_event_record(user=user, delta=-30, reason="manual")
    credit_event_record(user=user, delta=-90, reason="manual")
    last = credit_event_record(user=user, delta=+5, reason="manual")

    assert credit_score(user) == 5
    assert (last.applied, last.score_after) == (5, 5)
    assert credit_score_replay(user) == 5


def test_completed_order_adds_one_to_both_parties_capped_at_100():
    order = service_order()
    credit_event_record(user=order.provider, delta=-10, reason="manual")
    order = services.order_submit_requirements(order=order, actor=order.client, requirements="x")
    order = services.order_deliver(order=order, actor=order.provider, message="done")

    services.order_accept_delivery(order=order, actor=order.client)

    assert credit_score(order.provider) == 91
    assert credit_score(order.client) == 100
    assert CreditEvent.objects.filter(order=order, reason="order_completed").count() == 2


def test_completed_shift_adds_credit_too():
    order = shift_order()
    with time_machine.travel(order.starts_at, tick=False):
        order = services.order_check_in(order=order, actor=order.provider)
        services.order_complete(order=order, actor=order.client)

    assert CreditEvent.objects.filter(order=order, reason="order_completed").count() == 2


def test_reversal_gives_back_exactly_what_was_taken_and_keeps_both():
    user = UserFactory()
    credit_event_record(user=user, delta=-95, reason="manual")
    hit = credit_event_record(user=user, delta=-20, reason="no_show")  # only 5 could be taken

    reversal = credit_event_reverse(event=hit, actor=UserFactory(support=True))

    assert (hit.applied, reversal.delta, reversal.reverses) == (-5, 5, hit)
    assert credit_score(user) == 5
    assert CreditEvent.objects.filter(user=user).count() == 3


def test_reversing_twice_returns_the_first_reversal():
    user = UserFactory()
    hit = credit_event_record(user=user, delta=-10, reason="manual")
    staff = UserFactory(support=True)

    first = credit_event_reverse(event=hit, actor=staff)
    second = credit_event_reverse(event=hit, actor=staff)

    assert first == second
    assert credit_score(user) == 100


def test_manual_adjustment_needs_staff_and_a_reason():
    user = UserFactory()

    with pytest.raises(PermissionDenied):
        credit_adjust(user=user, delta=-5, actor=UserFactory(), reason="x")
    with pytest.raises(ValidationFailed) as exc:
        credit_adjust(user=user, delta=0, actor=UserFactory(support=True), reason="")
    assert {"delta", "reason"} <= exc.value.errors.keys()

    event = credit_adjust(user=user, delta=-5, actor=UserFactory(support=True), reason="Rude to a client")
    assert (event.reason, event.detail, credit_score(user)) == ("manual", "Rude to a client", 95)


def test_events_are_kept_unchanged_as_the_score_moves():
    user = UserFactory()
    first = credit_event_record(user=user, delta=-10, reason="manual")
    credit_event_record(user=user, delta=-10, reason="manual")

    first.refresh_from_db()
    assert (first.delta, first.applied, first.score_after) == (-10, -10, 90)


def test_no_show_sweep_moves_the_score_through_the_ledger():
    from core.jobs import sweep_run

    order = shift_order()
    with time_machine.travel(order.starts_at + timedelta(hours=2), tick=False):
        sweep_run("orders.cancel_no_shows")

    assert credit_score(order.provider) == 80
    assert credit_score_replay(order.provider) == 80


def test_sign_up_opens_the_credit_account_at_the_starting_score():
    from credit.models import CreditAccount
    from marketplace.services import user_create

    user = user_create(username="new", email="new@example.com", password="Samba-Noite-2468")

    account = CreditAccount.objects.get(user=user)
    assert (account.score, account.level) == (100, "new")


def test_an_account_added_in_the_admin_has_its_credit_account(admin_client):
    from django.urls import reverse

    from credit.models import CreditAccount
    from marketplace.models import User

    admin_client.post(
        reverse("admin:marketplace_user_add"),
        {
            "username": "added",
            "email": "added@example.com",
            "password1": "Samba-Noite-2468",
            "password2": "Samba-Noite-2468",
        },
    )

    assert CreditAccount.objects.filter(user=User.objects.get(username="added")).exists()
