"""The credit page: the viewer's own score, completion rate, level, restrictions and events, explained."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.jobs import sweep_run
from credit.models import CreditEvent
from credit.services import credit_adjust, credit_event_record, credit_event_reverse, restriction_impose
from orders.cancellation import order_cancel
from tests.disputes.test_requests_services import open_update
from tests.factories import (
    UserFactory,
    order_completed,
    order_in_progress,
    service_order,
    shift_cancelled_late,
    shift_order,
)

pytestmark = pytest.mark.django_db

URL = reverse("credit")


def _words(response) -> str:
    """The page as a reader sees it: no tags, one plain space between words."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def test_credit_page_needs_login(client):
    # when
    response = client.get(URL)

    # then
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_a_new_user_sees_100_and_why_the_score_moves(client):
    # given
    client.force_login(UserFactory())

    # when
    response = client.get(URL)

    # then
    words = _words(response)
    assert response.status_code == 200
    assert "100 / 100" in words
    assert "Everyone starts at 100. Each completed order adds 1 point" in words
    assert "Providers need 60 to take new orders" in words
    assert "Nothing has changed your score yet" in words
    assert "New seller" in words


def test_the_completion_rate_shows_raw_rate_and_sample_beside_the_smoothed_one(client):
    # given: one completed order and one cancellation that counts
    provider = UserFactory()
    order_completed(provider=provider)
    shift_cancelled_late(provider=provider)
    client.force_login(provider)

    # when
    words = _words(client.get(URL))

    # then
    assert "You completed 1 of the 2 orders that count from the last 60 days." in words
    assert "as if you had started with 5 completed orders" in words
    # the exact numbers, one click away
    assert "With the head start (smoothed) 85.71 %" in words
    assert "Without it (raw rate) 50 %" in words
    assert "Orders counted 2 orders (1 completed, 1 cancelled)" in words


def test_with_no_orders_there_is_no_raw_rate(client):
    # given
    client.force_login(UserFactory())

    # when
    words = _words(client.get(URL))

    # then
    assert "No order counts yet from the last 60 days" in words
    assert "Without it (raw rate) no orders yet" in words
    assert "Orders counted 0 orders" in words


def test_each_event_is_listed_newest_first_and_linked_to_its_order(client):
    # given
    provider = UserFactory()
    credit_adjust(user=provider, delta=-10, actor=UserFactory(support=True), reason="Rude to a client")
    order = order_completed(provider=provider)
    client.force_login(provider)

    # when
    response = client.get(URL)

    # then
    content, words = response.content.decode(), _words(response)
    assert reverse("order_detail", args=[order.pk]) in content
    assert words.index("+1 Order completed score 91 after") < words.index("-10 Manual adjustment by staff")
    assert "Rude to a client" in words


def test_an_event_held_at_100_says_what_was_due(client):
    # given
    provider = UserFactory()
    order_completed(provider=provider)
    client.force_login(provider)

    # when
    words = _words(client.get(URL))

    # then
    assert "+0 Order completed score 100 after" in words
    assert "Your score was already 100, the most it can be: +1 added nothing." in words
    assert "was due" not in words


def test_a_reversed_event_and_its_reversal_are_both_shown(client):
    # given
    user = UserFactory()
    hit = credit_event_record(user=user, delta=-20, reason="no_show")
    credit_event_reverse(event=hit, actor=UserFactory(support=True), detail="Hospital note")
    client.force_login(user)

    # when
    response = client.get(URL)

    # then
    words = _words(response)
    assert "+20 Reversal on appeal score 100 after" in words
    assert "Hospital note" in words
    assert "reversed on appeal" in words
    assert f'href="#event-{hit.pk}"' in response.content.decode()


def test_each_cancellation_that_counts_says_when_it_stops_counting(client):
    # given
    provider = UserFactory()
    order = shift_cancelled_late(provider=provider)
    client.force_login(provider)

    # when
    response = client.get(URL)

    # then
    stops = order.cancellation.created_at + timedelta(days=60)
    counting = response.context["counting"]
    assert [(c.order_id, c.stops_counting_at) for c in counting] == [(order.pk, stops)]
    assert f'datetime="{stops.isoformat()}"' in response.content.decode()
    assert "Stops counting" in _words(response)


def test_the_event_of_a_cancellation_that_counts_says_when_it_stops_counting(client):
    # given
    provider = UserFactory()
    order = shift_cancelled_late(provider=provider)
    client.force_login(provider)

    # when
    response = client.get(URL)

    # then: in the score history too, beside the event and its order
    stops = order.cancellation.created_at + timedelta(days=60)
    (event,) = response.context["page"].object_list
    assert (event.order_id, event.stops_counting_at) == (order.pk, stops)
    history = response.content.decode().split('id="events-title"')[1]
    assert f'datetime="{stops.isoformat()}"' in history
    assert "This cancellation counts against your completion rate until" in _words(response)


def test_without_counting_cancellations_the_page_says_none_count(client):
    # given: the client cancels before requirements, which never counts
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="schedule_change")
    client.force_login(order.provider)

    # when
    words = _words(client.get(URL))

    # then
    assert "No cancellation counts against you." in words


def test_a_restriction_shows_why_and_what_restores_access(client):
    # given
    user = UserFactory()
    restriction_impose(
        user_id=user.pk,
        kind="posting",
        reason="Repeated fake jobs.",
        restores="Talk to support.",
        actor=UserFactory(support=True),
    )
    client.force_login(user)

    # when
    words = _words(client.get(URL))

    # then
    assert "Cannot post listings · set by support" in words
    assert "Why Repeated fake jobs. What restores access Talk to support." in words


def test_a_score_under_the_minimum_says_no_new_orders_and_how_to_recover(client):
    # given
    user = UserFactory()
    credit_event_record(user=user, delta=-41, reason="manual")
    client.force_login(user)

    # when
    words = _words(client.get(URL))

    # then
    assert "You cannot take new orders as a provider" in words
    assert "Your credit score is 59; providers need 60." in words


def test_the_level_is_explained(client):
    # given
    provider = UserFactory()
    order_completed(provider=provider)
    shift_cancelled_late(provider=provider)
    client.force_login(provider)

    # when
    words = _words(client.get(URL))

    # then
    assert "Below standard" in words
    assert "Your completion rate is under 90 %" in words


def test_only_the_viewers_own_credit_is_shown(client):
    # given
    me, other = UserFactory(), UserFactory()
    credit_event_record(user=other, delta=-30, reason="manual", detail="Someone else's penalty")
    client.force_login(me)

    # when
    words = _words(client.get(URL))

    # then
    assert "Someone else's penalty" not in words
    assert "100 / 100" in words


def test_the_page_writes_nothing(client):
    # given
    user = UserFactory()
    client.force_login(user)

    # when
    client.get(URL)

    # then
    assert not CreditEvent.objects.filter(user=user).exists()


def test_events_are_paginated(client):
    # given
    user = UserFactory()
    for _ in range(30):
        credit_event_record(user=user, delta=-1, reason="manual")
    client.force_login(user)

    # when
    first, second = client.get(URL), client.get(URL, {"page": 2})

    # then
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 5
    assert "Page 1 of 2" in _words(first)


@pytest.mark.parametrize("rows", [1, 6])
def test_credit_page_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries, rows):
    # given
    provider = UserFactory()
    # short shifts one after the other, all within the late tier: one worker holds no two at once
    starts = [timezone.now() + timedelta(hours=1, minutes=5 * i) for i in range(rows)]
    shifts = [shift_order(provider=provider, starts_at=at, ends_at=at + timedelta(minutes=4)) for at in starts]
    for _ in range(rows):  # orders first: three late cancellations suspend order taking
        order_completed(provider=provider)
    for order in shifts:
        order_cancel(order=order, actor=provider, reason="schedule_change")
    client.force_login(provider)

    # when / then: session, user, policy (once), account, completed, restrictions, the counting
    # cancellations (their number is the rate's), the events' count and page, the unread
    # notifications of the header, and the page's appeals with their orders' policies (their windows)
    with django_assert_max_num_queries(14):
        response = client.get(URL)
    assert len(response.context["counting"]) == rows


def test_the_provider_sees_the_update_requests_they_let_expire_in_the_window(client):
    # given: one update request left unanswered 70 days ago (outside the window) and two lately
    order = order_in_progress()
    provider = order.provider
    for days_ago in (70, 3, 1):
        with time_machine.travel(timezone.now() - timedelta(days=days_ago, hours=49), tick=False):
            r = open_update(order)
        with time_machine.travel(timezone.now() - timedelta(days=days_ago), tick=False):
            sweep_run("disputes.expire_requests")
        r.refresh_from_db()
        assert r.state == "expired"
    client.force_login(provider)

    # when
    response = client.get(URL)

    # then
    assert response.context["summary"].unanswered_update_requests == 2
    assert "Responsiveness 2 update requests left unanswered" in _words(response)


def test_the_score_over_time_is_drawn_from_its_events(client):
    # given: two events that moved the score
    user = UserFactory()
    credit_adjust(user=user, delta=-10, actor=UserFactory(support=True), reason="Rude to a client")
    credit_adjust(user=user, delta=5, actor=UserFactory(support=True), reason="Reviewed")
    client.force_login(user)

    # when
    response = client.get(URL)

    # then: a step line, 100 at the top (y=8) and 0 at the bottom (y=132); it ends at now
    chart = response.context["chart"]
    assert (chart["count"], chart["low"], chart["last"][1]) == (2, 90, 95)
    points = [tuple(map(float, p.split(","))) for p in chart["points"].split()]
    assert len(points) == 4  # first event, the step at the second (before, after), now
    assert points[0][1] == pytest.approx(8 + 124 * 0.10)  # 90
    assert points[-1][1] == pytest.approx(8 + 124 * 0.05)  # 95
    assert points[-1][0] == pytest.approx(592)
    html = response.content.decode()
    assert '<polyline class="score-line"' in html and "lowest 90" in html


def test_no_events_no_chart(client):
    client.force_login(UserFactory())

    response = client.get(URL)

    assert response.context["chart"] is None
    assert "score-chart" not in response.content.decode()
