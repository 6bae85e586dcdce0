"""GET /api/v1/me/credit/: the caller's own score, rate, level, restrictions and events, explained."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from core.jobs import sweep_run
from credit.models import CreditEvent, Restriction
from credit.services import (
    credit_adjust,
    credit_event_record,
    credit_event_reverse,
    restriction_impose,
    restriction_lift,
)
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

URL = "/api/v1/me/credit/"
PROBLEM = "application/problem+json"

CREDIT_FIELDS = {
    # the contract
    "score", "completion_rate", "level", "restricted", "events",
    # documented extras
    "restrictions", "below_min_score", "min_provider_score", "responsiveness", "counting_cancellations",
    "events_count", "events_next", "events_previous",
}  # fmt: skip
RATE_FIELDS = {
    "raw_percent", "smoothed_percent", "completed", "counted_cancellations", "sample", "window_days", "prior_orders",
}  # fmt: skip
EVENT_FIELDS = {
    "id", "at", "delta", "applied", "score_after", "reason", "detail", "order", "reverses", "reversed", "reversed_at",
    "stops_counting_at",
}  # fmt: skip


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- Shape ----------------------------------------------------------------------------------


def test_credit_has_exactly_the_contract_fields_and_extras(api_as):
    # given
    user = UserFactory()

    # when
    response = api_as(user).get(URL)

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == CREDIT_FIELDS
    assert set(body["completion_rate"]) == RATE_FIELDS


def test_a_new_user_starts_at_100_with_no_raw_rate_and_no_events(api_as):
    # when
    body = api_as(UserFactory()).get(URL).json()

    # then
    assert (body["score"], body["level"], body["restricted"], body["below_min_score"]) == (100, "new", False, False)
    assert body["completion_rate"] == {
        "raw_percent": None,
        "smoothed_percent": "100.00",
        "completed": 0,
        "counted_cancellations": 0,
        "sample": 0,
        "window_days": 60,
        "prior_orders": 5,
    }
    assert (body["events"], body["events_count"], body["restrictions"], body["counting_cancellations"]) == (
        [],
        0,
        [],
        [],
    )
    assert body["min_provider_score"] == 60


def test_asking_for_credit_writes_nothing(api_as):
    # given
    user = UserFactory()

    # when
    api_as(user).get(URL)

    # then
    assert not CreditEvent.objects.filter(user=user).exists()
    assert not user.restrictions.exists()


# --- Events ---------------------------------------------------------------------------------


def test_events_are_listed_newest_first_with_their_order_and_the_score_after(api_as):
    # given
    provider = UserFactory()
    manual = credit_adjust(user=provider, delta=-10, actor=UserFactory(support=True), reason="Rude to a client")
    order = order_completed(provider=provider)

    # when
    events = api_as(provider).get(URL).json()["events"]

    # then
    assert all(set(e) == EVENT_FIELDS for e in events)
    completed, adjusted = events
    assert (completed["reason"], completed["delta"], completed["applied"], completed["score_after"]) == (
        "order_completed",
        1,
        1,
        91,
    )
    assert (completed["order"], completed["reverses"], completed["reversed"]) == (order.pk, None, False)
    assert (adjusted["id"], adjusted["reason"], adjusted["detail"], adjusted["order"]) == (
        manual.pk,
        "manual",
        "Rude to a client",
        None,
    )
    assert _at(completed["at"]) >= _at(adjusted["at"])


def test_an_event_capped_at_100_shows_what_was_asked_and_what_was_applied(api_as):
    # given: a completed order at a full score adds nothing
    provider = UserFactory()
    order_completed(provider=provider)

    # when
    (event,) = api_as(provider).get(URL).json()["events"]

    # then
    assert (event["delta"], event["applied"], event["score_after"]) == (1, 0, 100)


def test_a_reversed_event_and_its_reversal_point_at_each_other(api_as):
    # given
    user = UserFactory()
    hit = credit_event_record(user=user, delta=-20, reason="no_show")
    reversal = credit_event_reverse(event=hit, actor=UserFactory(support=True), detail="Hospital note")

    # when
    body = api_as(user).get(URL).json()

    # then
    first, second = body["events"]
    assert (first["id"], first["reason"], first["reverses"], first["reversed"]) == (
        reversal.pk,
        "reversal",
        hit.pk,
        False,
    )
    assert (second["id"], second["reversed"], _at(second["reversed_at"])) == (hit.pk, True, reversal.created_at)
    assert body["score"] == 100


def test_events_are_paged_with_links_to_the_next_page(api_as):
    # given
    user = UserFactory()
    for _ in range(25):
        credit_event_record(user=user, delta=-1, reason="manual")

    # when
    client = api_as(user)
    first = client.get(URL, {"page_size": 10}).json()
    last = client.get(URL, {"page_size": 10, "page": 3}).json()

    # then
    assert (len(first["events"]), first["events_count"], first["events_previous"]) == (10, 25, None)
    assert "page=2" in first["events_next"]
    assert (len(last["events"]), last["events_next"]) == (5, None)
    assert last["events"][-1]["score_after"] == 99  # the oldest
    assert last["score"] == first["score"] == 75


def test_a_page_past_the_end_is_404(api_as):
    # when
    response = api_as(UserFactory()).get(URL, {"page": 9})

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


# --- Completion rate and the cancellations that count ---------------------------------------


def test_completion_rate_shows_the_raw_rate_and_sample_beside_the_smoothed_one(api_as):
    # given: one completed order and one cancellation that counts
    provider = UserFactory()
    order_completed(provider=provider)
    shift_cancelled_late(provider=provider)

    # when
    body = api_as(provider).get(URL).json()

    # then
    rate = body["completion_rate"]
    assert (rate["raw_percent"], rate["smoothed_percent"]) == ("50.00", "85.71")  # (1 + 5) / (2 + 5)
    assert (rate["completed"], rate["counted_cancellations"], rate["sample"]) == (1, 1, 2)
    assert body["level"] == "below_standard"


def test_each_cancellation_that_counts_says_when_it_stops_counting(api_as):
    # given
    provider = UserFactory()
    order = shift_cancelled_late(provider=provider)

    # when
    (counting,) = api_as(provider).get(URL).json()["counting_cancellations"]

    # then
    cancellation = order.cancellation
    assert (counting["order"], counting["path"], counting["reason"]) == (order.pk, "provider_shift", "schedule_change")
    assert _at(counting["at"]) == cancellation.created_at
    assert _at(counting["stops_counting_at"]) == cancellation.created_at + timedelta(days=60)


def test_the_event_of_a_cancellation_that_counts_says_when_it_stops_counting(api_as):
    # given: a late cancellation (−10, counts) and an adjustment, which never counts
    provider = UserFactory()
    order = shift_cancelled_late(provider=provider)
    credit_adjust(user=provider, delta=5, actor=UserFactory(support=True), reason="Goodwill")

    # when
    adjusted, cancelled = api_as(provider).get(URL).json()["events"]

    # then
    assert (cancelled["order"], cancelled["reason"]) == (order.pk, "cancellation")
    assert _at(cancelled["stops_counting_at"]) == order.cancellation.created_at + timedelta(days=60)
    assert adjusted["stops_counting_at"] is None


def test_an_event_whose_cancellation_stopped_counting_has_no_date(api_as):
    # given
    provider = UserFactory()
    order = shift_cancelled_late(provider=provider)

    # when
    with time_machine.travel(order.cancellation.created_at + timedelta(days=60, seconds=1), tick=False):
        (event,) = api_as(provider).get(URL).json()["events"]

    # then: the score event stays in the history; it no longer counts in the rate
    assert (event["reason"], event["stops_counting_at"]) == ("cancellation", None)


def test_a_cancellation_leaves_the_list_once_its_window_is_over(api_as):
    # given
    provider = UserFactory()
    order = shift_cancelled_late(provider=provider)
    client = api_as(provider)

    # when
    with time_machine.travel(order.cancellation.created_at + timedelta(days=60, seconds=1), tick=False):
        body = client.get(URL).json()

    # then
    assert body["counting_cancellations"] == []
    assert body["completion_rate"]["counted_cancellations"] == 0


def test_a_no_fault_cancellation_is_not_listed_as_counting(api_as):
    # given: the client cancels before sending requirements
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="schedule_change")

    # when
    body = api_as(order.provider).get(URL).json()

    # then
    assert body["counting_cancellations"] == []
    assert body["completion_rate"]["sample"] == 0


def test_the_client_of_a_cancelled_order_sees_only_their_own_rate(api_as):
    # given: the provider's cancellation counts against the provider, not the client
    provider = UserFactory()
    order = shift_cancelled_late(provider=provider)

    # when
    body = api_as(order.client).get(URL).json()

    # then
    assert body["completion_rate"]["sample"] == 0
    assert body["counting_cancellations"] == []
    assert body["events"] == []


def test_another_users_events_are_never_shown(api_as):
    # given
    me, other = UserFactory(), UserFactory()
    credit_event_record(user=other, delta=-30, reason="manual", detail="Someone else")

    # when
    body = api_as(me).get(URL).json()

    # then
    assert (body["score"], body["events"]) == (100, [])


# --- Restrictions ---------------------------------------------------------------------------


def test_a_restriction_says_why_and_what_restores_access(api_as):
    # given
    user = UserFactory()
    restriction = restriction_impose(
        user_id=user.pk,
        kind="posting",
        reason="Repeated fake jobs.",
        restores="Talk to support.",
        actor=UserFactory(support=True),
    )

    # when
    body = api_as(user).get(URL).json()

    # then
    assert body["restricted"] is True
    (shown,) = body["restrictions"]
    assert set(shown) == {"kind", "reason", "restores", "since", "automatic"}
    assert (shown["kind"], shown["reason"], shown["restores"], shown["automatic"]) == (
        "posting",
        "Repeated fake jobs.",
        "Talk to support.",
        False,
    )
    assert _at(shown["since"]) == restriction.created_at


def test_a_lifted_restriction_is_no_longer_shown(api_as):
    # given
    user, staff = UserFactory(), UserFactory(support=True)
    restriction = restriction_impose(user_id=user.pk, kind="posting", reason="x", restores="y", actor=staff)
    restriction_lift(restriction=restriction, actor=staff, reason="Reviewed")

    # when
    body = api_as(user).get(URL).json()

    # then
    assert (body["restricted"], body["restrictions"]) == (False, [])
    assert Restriction.objects.filter(user=user).count() == 1


def test_a_score_under_the_minimum_restricts_without_a_restriction_row(api_as):
    # given
    user = UserFactory()
    credit_event_record(user=user, delta=-41, reason="manual")

    # when
    body = api_as(user).get(URL).json()

    # then
    assert (body["score"], body["below_min_score"], body["restricted"], body["restrictions"]) == (59, True, True, [])


# --- Access, cost and schema -----------------------------------------------------------------


def test_credit_needs_credentials(api):
    # when
    response = api.get(URL)

    # then
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_authenticated"


def test_credit_is_read_only(api_as):
    # given
    user = UserFactory()

    # when
    response = api_as(user).post(URL, {"score": 100}, format="json")

    # then
    assert response.status_code == 405
    assert not CreditEvent.objects.filter(user=user).exists()


@pytest.mark.parametrize("rows", [1, 8])
def test_credit_query_count_does_not_grow_with_events_or_cancellations(api_as, django_assert_max_num_queries, rows):
    # given
    provider = UserFactory()
    # short shifts one after the other, all within the late tier: one worker holds no two at once
    starts = [timezone.now() + timedelta(hours=1, minutes=5 * i) for i in range(rows)]
    shifts = [shift_order(provider=provider, starts_at=at, ends_at=at + timedelta(minutes=4)) for at in starts]
    for _ in range(rows):  # orders first: three late cancellations suspend order taking
        order_completed(provider=provider)
    for order in shifts:
        order_cancel(order=order, actor=provider, reason="schedule_change")
    restriction_impose(user_id=provider.pk, kind="posting", reason="x", restores="y", actor=UserFactory(support=True))
    client = api_as(provider)

    # when / then: token, policy (once), account, completed, restrictions, unanswered update
    # requests, the cancellations that count with their orders (their number is the rate's), the
    # events' count and page
    with django_assert_max_num_queries(9):
        body = client.get(URL).json()
    assert len(body["counting_cancellations"]) == rows


def test_schema_describes_the_credit_endpoint(api):
    # when
    schema = api.get("/api/v1/schema/?format=json").json()

    # then
    operation = schema["paths"]["/api/v1/me/credit/"]["get"]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "429"}
    assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}
    components = schema["components"]["schemas"]
    assert set(components["CreditOutput"]["properties"]) == CREDIT_FIELDS
    assert set(components["CreditEventOutput"]["properties"]) == EVENT_FIELDS
    assert set(components["CompletionRateOutput"]["properties"]) == RATE_FIELDS


def test_the_caller_sees_their_responsiveness_as_a_provider(api_as):
    # given: an update request the provider let expire
    order = order_in_progress()
    with time_machine.travel(timezone.now() - timedelta(hours=49), tick=False):
        r = open_update(order)
    sweep_run("disputes.expire_requests")
    r.refresh_from_db()
    assert r.state == "expired"

    # when
    mine = api_as(order.provider).get(URL).json()["responsiveness"]
    theirs = api_as(order.client).get(URL).json()["responsiveness"]

    # then: it counts against the provider only
    assert mine == {"unanswered_update_requests": 1, "window_days": 60}
    assert theirs == {"unanswered_update_requests": 0, "window_days": 60}
