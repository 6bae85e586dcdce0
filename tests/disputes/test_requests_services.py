"""Resolution requests through the services: who may ask and answer what, and every effect."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.jobs import sweep_run
from core.models import TransitionLog
from disputes.models import RequestState, Resolution, ResolutionRequest
from disputes.selectors.requests import request_consequences, unanswered_update_requests_count
from disputes.services.requests import (
    request_accept,
    request_decline,
    request_escalation_check,
    request_open,
    request_respond,
    request_withdraw,
)
from marketplace.models import Notification
from orders import services as order_services
from orders.completion import completion_rate_effect_for
from orders.models import Cancellation, OrderState
from tests.factories import UserFactory, order_in_progress, service_order, shift_order
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


# --- Helpers shared by the request tests ------------------------------------------------------


def open_cancel(order, *, by=None, percent="60", message="We cannot agree on the style."):
    return request_open(
        order=order,
        actor=by or order.client,
        type="cancel",
        reason="schedule_change",
        refund_percent=Decimal(percent),
        message=message,
    )


def open_extension(order, *, by=None, hours=48):
    return request_open(
        order=order,
        actor=by or order.provider,
        type="extend_delivery",
        new_due_at=order.due_at + timedelta(hours=hours),
        message="I need two more days.",
    )


def open_update(order):
    return request_open(order=order, actor=order.client, type="request_update", message="How is it going?")


def request_log(resolution_request):
    ct = ContentType.objects.get_for_model(ResolutionRequest)
    return list(
        TransitionLog.objects.filter(content_type=ct, object_id=resolution_request.pk)
        .order_by("at", "id")
        .values_list("transition", "from_state", "to_state")
    )


def availability_model():
    """The provider's announced time away (marketplace), or skip where this tree has none yet."""
    from django.apps import apps

    try:
        return apps.get_model("marketplace", "Availability")
    except LookupError:
        pytest.skip("marketplace has no announced availability in this tree")


def snapshot(order):
    """Everything a refused action must leave as it was."""
    order.refresh_from_db()
    return (
        order.state,
        order.due_at,
        list(ResolutionRequest.objects.filter(order=order).values_list("pk", "state", "resolution", "resolved_at")),
        TransitionLog.objects.count(),
        Notification.objects.count(),
        Cancellation.objects.count(),
    )


# --- Opening ----------------------------------------------------------------------------------


def test_a_party_opens_a_cancel_request_with_the_window_logged_and_the_other_party_told(
    django_capture_on_commit_callbacks,
):
    order = order_in_progress()

    with time_machine.travel("2025-03-04 10:00Z", tick=False), django_capture_on_commit_callbacks(execute=True):
        r = open_cancel(order)

    assert r.state == RequestState.OPEN and r.author_role == "client"
    assert r.respond_by == r.created_at + timedelta(hours=48)
    assert r.refund_percent == Decimal("60")
    assert request_log(r) == [("open", "", "open")]
    notice = Notification.objects.get(kind="request_opened")
    assert notice.user == order.provider and notice.order == order
    assert [m.to for m in mail.outbox] == [[order.provider.email]]


def test_the_window_counts_business_days_when_the_policy_says_so():
    order = order_in_progress()
    order.policy.windows_in_business_days = True
    order.policy.save()

    with time_machine.travel("2025-01-03 18:00Z", tick=False):  # a Friday evening
        r = open_cancel(order)

    assert r.respond_by.isoformat() == "2025-01-07T18:00:00+00:00"


def test_announced_time_away_of_the_provider_extends_the_window_by_the_overlap():
    order = order_in_progress()
    now = timezone.now()
    availability_model().objects.create(
        user=order.provider, away_from=now + timedelta(hours=10), away_until=now + timedelta(hours=34)
    )

    with time_machine.travel(now, tick=False):
        to_provider = open_cancel(order)
        request_withdraw(resolution_request=to_provider, actor=order.client)
        to_client = open_cancel(order, by=order.provider)

    assert to_provider.respond_by == now + timedelta(hours=48 + 24)
    assert to_client.respond_by == now + timedelta(hours=48)  # the client announced nothing


def test_a_second_open_request_on_the_order_is_refused_request_already_open():
    order = order_in_progress()
    open_cancel(order)
    before = snapshot(order)

    with pytest.raises(Conflict) as exc:
        open_extension(order)

    assert exc.value.code == "request_already_open"
    assert snapshot(order) == before


def test_the_database_itself_refuses_a_second_open_request():
    order = order_in_progress()
    first = open_cancel(order)

    with pytest.raises(IntegrityError), transaction.atomic():
        ResolutionRequest.objects.create(
            order=order,
            author=order.provider,
            author_role="provider",
            type="request_update",
            message="again",
            respond_by=first.respond_by,
        )


def test_a_new_request_can_follow_once_the_open_one_is_answered():
    order = order_in_progress()
    first = open_extension(order)
    request_decline(resolution_request=first, actor=order.client, message="No.")

    second = open_cancel(order)

    assert second.state == RequestState.OPEN


@pytest.mark.parametrize("closing", ["complete", "cancel"])
def test_no_request_on_a_completed_or_cancelled_order(closing):
    order = order_in_progress()
    if closing == "cancel":
        from orders.cancellation import order_cancel_by_support

        staff = UserFactory(support=True)
        order_cancel_by_support(order=order, actor=staff, fault="none", reason="other", message="Ruled.")
    else:
        order = order_services.order_deliver(order=order, actor=order.provider, message="Done")
        order_services.order_accept_delivery(order=order, actor=order.client)
    before = snapshot(order)

    with pytest.raises(Conflict) as exc:
        open_cancel(order)

    assert exc.value.code == "order_closed"
    assert snapshot(order) == before


def test_only_a_party_may_open_a_request():
    order = order_in_progress()

    with pytest.raises(NotFound):
        open_cancel(order, by=UserFactory())
    assert not ResolutionRequest.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "", "refund_percent": Decimal("50")}, "reason"),
        ({"reason": "no_show", "refund_percent": Decimal("50")}, "reason"),  # the system's reason, not a person's
        ({"reason": "other", "refund_percent": Decimal("100.01")}, "refund_percent"),
        ({"reason": "other", "refund_percent": Decimal("-1")}, "refund_percent"),
        ({"reason": "other", "refund_percent": None}, "refund_percent"),
        ({"reason": "other", "refund_percent": Decimal("10"), "message": "  "}, "message"),
    ],
)
def test_a_cancel_request_needs_a_reason_a_split_and_a_message(kwargs, field):
    order = order_in_progress()
    kwargs = {"message": "Please", **kwargs}

    with pytest.raises(ValidationFailed) as exc:
        request_open(order=order, actor=order.client, type="cancel", **kwargs)

    assert field in exc.value.errors
    assert not ResolutionRequest.objects.exists()


def test_an_extension_must_move_the_due_date_later():
    order = order_in_progress()

    with pytest.raises(ValidationFailed) as exc:
        request_open(
            order=order, actor=order.provider, type="extend_delivery", new_due_at=order.due_at, message="More time"
        )

    assert "new_due_at" in exc.value.errors
    assert not ResolutionRequest.objects.exists()


def test_an_order_without_a_due_date_has_nothing_to_extend():
    order = service_order()  # awaiting requirements

    with pytest.raises(Conflict) as exc:
        request_open(
            order=order,
            actor=order.provider,
            type="extend_delivery",
            new_due_at=timezone.now() + timedelta(days=9),
            message="More time",
        )

    assert exc.value.code == "invalid_transition"


def test_only_the_client_asks_for_an_update():
    order = order_in_progress()

    with pytest.raises(PermissionDenied) as exc:
        request_open(order=order, actor=order.provider, type="request_update", message="?")

    assert exc.value.code == "wrong_party"
    assert not ResolutionRequest.objects.exists()


# --- Accepting ----------------------------------------------------------------------------------


def test_accepting_a_cancel_request_cancels_the_order_with_the_agreed_split(django_capture_on_commit_callbacks):
    order = order_in_progress(price=Decimal("120.00"))
    r = open_cancel(order, percent="60")

    with django_capture_on_commit_callbacks(execute=True):
        request_accept(resolution_request=r, actor=order.provider, message="Fine by me")

    r.refresh_from_db()
    order.refresh_from_db()
    assert (r.state, r.resolution, r.responded_by, r.response_message) == (
        RequestState.ACCEPTED,
        Resolution.BY_PARTY,
        order.provider,
        "Fine by me",
    )
    c = order.cancellation
    assert order.state == OrderState.CANCELLED
    assert (c.path, c.refund_to_client, c.compensation_to_provider, c.actor) == (
        "mutual",
        Decimal("72.00"),
        Decimal("48.00"),
        order.provider,
    )
    assert c.reason == "schedule_change"
    assert request_log(r) == [("open", "", "open"), ("accept", "open", "accepted")]
    assert Notification.objects.filter(kind="request_accepted", user=order.client).count() == 1
    assert_every_transaction_balances()


def test_accepting_an_extension_moves_the_due_date_and_clears_late():
    order = order_in_progress(delivery_days=1)  # late within the request's 48 h window
    r = open_extension(order, hours=72)
    new_due = r.new_due_at
    with time_machine.travel(order.due_at + timedelta(minutes=1), tick=False):
        sweep_run("orders.mark_late_orders")
        order.refresh_from_db()
        assert order.state == OrderState.LATE

        request_accept(resolution_request=r, actor=order.client)

    order.refresh_from_db()
    assert (order.state, order.due_at) == (OrderState.IN_PROGRESS, new_due)
    last = order.history.last()
    assert (last.transition, last.from_state, last.to_state, last.actor) == (
        "extend_delivery",
        "late",
        "in_progress",
        order.client,
    )


def test_the_author_cannot_accept_their_own_request():
    order = order_in_progress()
    r = open_cancel(order)
    before = snapshot(order)

    with pytest.raises(PermissionDenied) as exc:
        request_accept(resolution_request=r, actor=order.client)

    assert exc.value.code == "wrong_party"
    assert snapshot(order) == before


def test_a_stranger_cannot_see_or_answer_a_request():
    order = order_in_progress()
    r = open_cancel(order)
    before = snapshot(order)

    with pytest.raises(NotFound):
        request_accept(resolution_request=r, actor=UserFactory())
    assert snapshot(order) == before


def test_an_answered_request_cannot_be_answered_again():
    order = order_in_progress()
    r = open_extension(order)
    request_decline(resolution_request=r, actor=order.client, message="No")
    before = snapshot(order)

    with pytest.raises(Conflict) as exc:
        request_accept(resolution_request=r, actor=order.client)

    assert exc.value.code == "request_not_open"
    assert snapshot(order) == before


def test_an_extension_of_an_order_delivered_meanwhile_is_refused_and_changes_nothing():
    order = order_in_progress()
    r = open_extension(order)
    order_services.order_deliver(order=order, actor=order.provider, message="Done after all")
    before = snapshot(order)

    with pytest.raises(Conflict) as exc:
        request_accept(resolution_request=r, actor=order.client)

    assert exc.value.code == "invalid_transition"
    assert snapshot(order) == before


def test_update_requests_are_answered_not_accepted():
    order = order_in_progress()
    r = open_update(order)
    before = snapshot(order)

    for answer in (request_accept, lambda **kw: request_decline(message="no", **kw)):
        with pytest.raises(Conflict) as exc:
            answer(resolution_request=r, actor=order.provider)
        assert exc.value.code == "answer_with_respond"
    assert snapshot(order) == before


# --- Declining, responding, withdrawing ----------------------------------------------------------


def test_declining_needs_a_reason_and_changes_only_the_request(django_capture_on_commit_callbacks):
    order = order_in_progress()
    r = open_cancel(order)
    before = snapshot(order)

    with pytest.raises(ValidationFailed):
        request_decline(resolution_request=r, actor=order.provider, message=" ")
    assert snapshot(order) == before

    with django_capture_on_commit_callbacks(execute=True):
        request_decline(resolution_request=r, actor=order.provider, message="I am nearly done.")

    r.refresh_from_db()
    order.refresh_from_db()
    assert (r.state, r.resolution, r.response_message) == ("declined", "by_party", "I am nearly done.")
    assert order.state == OrderState.IN_PROGRESS
    assert Notification.objects.filter(kind="request_declined", user=order.client).exists()


def test_the_provider_answers_an_update_request_with_a_message():
    order = order_in_progress()
    r = open_update(order)

    request_respond(resolution_request=r, actor=order.provider, message="Draft tomorrow.")

    r.refresh_from_db()
    assert (r.state, r.resolution, r.response_message) == ("accepted", "by_party", "Draft tomorrow.")
    assert request_log(r)[-1] == ("respond", "open", "accepted")
    assert Notification.objects.filter(kind="request_answered", user=order.client).exists()


def test_only_update_requests_take_an_answer_and_only_from_the_provider():
    order = order_in_progress()
    update = open_update(order)
    with pytest.raises(PermissionDenied):
        request_respond(resolution_request=update, actor=order.client, message="me?")
    request_withdraw(resolution_request=update, actor=order.client)
    cancel = open_cancel(order)
    before = snapshot(order)

    with pytest.raises(Conflict) as exc:
        request_respond(resolution_request=cancel, actor=order.provider, message="hm")

    assert exc.value.code == "use_accept"
    assert snapshot(order) == before


def test_the_author_withdraws_an_open_request_and_the_other_party_is_told():
    order = order_in_progress()
    r = open_cancel(order)

    request_withdraw(resolution_request=r, actor=order.client)

    r.refresh_from_db()
    assert (r.state, r.resolution) == ("withdrawn", "withdrawn")
    assert Notification.objects.filter(kind="request_withdrawn", user=order.provider).exists()


def test_only_the_author_withdraws():
    order = order_in_progress()
    r = open_cancel(order)
    before = snapshot(order)

    with pytest.raises(PermissionDenied):
        request_withdraw(resolution_request=r, actor=order.provider)

    assert snapshot(order) == before


# --- Consequences before consent ------------------------------------------------------------------


def test_the_provider_asked_to_cancel_sees_money_credit_and_completion_rate_first():
    order = order_in_progress(price=Decimal("120.00"))
    r = open_cancel(order, percent="25")

    preview = request_consequences(resolution_request=r, user=order.provider)

    assert preview.allowed
    outcome = preview.outcome
    assert (outcome.refund_to_client, outcome.compensation_to_provider, outcome.fee_to_platform) == (
        Decimal("30.00"),
        Decimal("90.00"),
        Decimal("0.00"),
    )
    assert (outcome.credit_delta, outcome.counts_against_completion_rate) == (0, True)
    effect = preview.completion_effect
    assert effect == completion_rate_effect_for(order.provider, counts=True)  # the cancellation quote's numbers
    assert effect.before.counted_cancellations == 0
    assert effect.after.counted_cancellations == 1
    assert effect.after.smoothed_percent < effect.before.smoothed_percent


def test_the_client_sees_the_money_but_not_the_providers_completion_rate():
    order = order_in_progress()
    r = open_cancel(order, by=order.provider)

    preview = request_consequences(resolution_request=r, user=order.client)

    assert preview.allowed and preview.completion_effect is None


def test_no_preview_for_other_types_or_closed_requests():
    order = order_in_progress()
    r = open_extension(order)
    assert request_consequences(resolution_request=r, user=order.client) is None


# --- Escalation and responsiveness -------------------------------------------------------------------


def test_a_declined_request_may_be_escalated_once_an_open_one_not():
    order = order_in_progress()
    r = open_cancel(order)
    with pytest.raises(Conflict) as exc:
        request_escalation_check(resolution_request=r, actor=order.client)
    assert exc.value.code == "request_not_declined"

    request_decline(resolution_request=r, actor=order.provider, message="No")

    r.refresh_from_db()
    request_escalation_check(resolution_request=r, actor=order.client)  # does not raise


def test_unanswered_update_requests_count_against_the_provider():
    order = order_in_progress()
    with time_machine.travel(timezone.now() - timedelta(hours=49), tick=False):
        open_update(order)
    sweep_run("disputes.expire_requests")

    assert unanswered_update_requests_count(provider=order.provider) == 1
    assert unanswered_update_requests_count(provider=order.client) == 0


def test_a_shift_order_takes_cancel_requests_too():
    order = shift_order(price=Decimal("80.00"))
    r = open_cancel(order, by=order.provider, percent="100")

    request_accept(resolution_request=r, actor=order.client)

    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert order.cancellation.refund_to_client == Decimal("80.00")
