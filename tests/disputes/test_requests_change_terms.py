"""Changed terms by agreement: the employer of a shift proposes new hours and/or pay through the
Resolution Center (`change_terms`); the worker sees what each answer means before answering."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, PermissionDenied, ValidationFailed
from core.jobs import sweep_run
from core.models import TransitionLog
from disputes.models import RequestState, Resolution, ResolutionRequest
from disputes.selectors.requests import request_terms_preview
from disputes.services.requests import request_accept, request_decline, request_open
from marketplace.models import Notification
from orders.cancellation import cancellation_decide, order_cancel
from orders.models import Charge, ChargeStatus, LedgerTransaction, Order, OrderState, Refund, RefundStatus
from orders.refunds import charge_settle
from tests.factories import UserFactory, order_in_progress, shift_order
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def open_change(order, *, starts=None, ends=None, price=None, by=None, message="Can you stay two hours longer?"):
    return request_open(
        order=order,
        actor=by or order.client,
        type="change_terms",
        new_starts_at=starts,
        new_ends_at=ends,
        new_price=price,
        message=message,
    )


def longer(order, hours=2, price="110.00"):
    return open_change(order, ends=order.ends_at + timedelta(hours=hours), price=Decimal(price))


# --- Opening -----------------------------------------------------------------------------------


def test_the_employer_proposes_longer_hours_and_more_pay_the_worker_is_told():
    order = shift_order(price=Decimal("80.00"))

    r = longer(order)

    assert (r.type, r.state, r.author_role) == ("change_terms", RequestState.OPEN, "client")
    assert (r.old_starts_at, r.old_ends_at, r.old_price) == (order.starts_at, order.ends_at, Decimal("80.00"))
    assert (r.new_starts_at, r.new_ends_at, r.new_price) == (
        order.starts_at,
        order.ends_at + timedelta(hours=2),
        Decimal("110.00"),
    )
    notice = Notification.objects.get(user=order.provider, kind="request_opened")
    assert "110.00" in notice.body_text and "nothing changes" in notice.body_text
    order.refresh_from_db()
    assert (order.price, order.ends_at) == (Decimal("80.00"), r.old_ends_at)  # nothing moves before an answer


def test_the_window_ends_at_the_shift_start_when_that_comes_first():
    order = shift_order(starts_in=timedelta(hours=10))

    r = longer(order)

    assert r.respond_by == order.starts_at  # the usual 48 h would run past the start


def test_a_later_start_still_has_to_be_answered_before_the_current_one():
    order = shift_order(starts_in=timedelta(hours=10))

    r = open_change(order, starts=order.starts_at + timedelta(days=3), ends=order.ends_at + timedelta(days=3))

    assert r.respond_by == order.starts_at


def test_the_usual_window_when_the_shift_is_far_away():
    order = shift_order(starts_in=timedelta(days=7))

    r = longer(order)

    assert r.respond_by == r.created_at + timedelta(hours=order.policy.request_window_hours)


def test_too_close_to_the_start_to_answer_is_refused():
    order = shift_order(starts_in=timedelta(minutes=40))

    with pytest.raises(Conflict) as exc:
        longer(order)

    assert exc.value.code == "too_late_to_change"
    assert not ResolutionRequest.objects.exists()


def test_only_the_employer_proposes_changed_terms():
    order = shift_order()

    with pytest.raises(PermissionDenied) as exc:
        longer_by_worker = open_change(order, by=order.provider, price=Decimal("200.00"))  # noqa: F841

    assert exc.value.code == "wrong_party"


def test_a_service_order_has_no_terms_to_change():
    order = order_in_progress()

    with pytest.raises(Conflict) as exc:
        request_open(order=order, actor=order.client, type="change_terms", new_price=Decimal("5"), message="Less?")

    assert exc.value.code == "not_a_shift"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda o: {"ends": o.starts_at - timedelta(hours=1)}, "new_ends_at"),
        (lambda o: {"starts": timezone.now() - timedelta(hours=1)}, "new_starts_at"),
        (lambda o: {"ends": o.starts_at + timedelta(hours=25)}, "new_ends_at"),
        (lambda o: {"price": Decimal("0")}, "new_price"),
        (lambda o: {"price": Decimal("10.005")}, "new_price"),
        (lambda o: {"price": Decimal("1000000")}, "new_price"),
        (lambda o: {"price": o.price, "ends": o.ends_at}, "new_price"),  # the same terms
    ],
)
def test_terms_that_cannot_apply_are_refused_field_by_field(change, field):
    order = shift_order()

    with pytest.raises(ValidationFailed) as exc:
        open_change(order, **change(order))

    assert field in exc.value.errors
    assert not ResolutionRequest.objects.exists()


def test_under_way_only_the_end_and_the_pay_can_change():
    order = shift_order(starts_in=timedelta(hours=3))
    with time_machine.travel(order.starts_at + timedelta(minutes=5), tick=False):
        from orders.services import order_check_in

        order_check_in(order=order, actor=order.provider)
        with pytest.raises(ValidationFailed) as exc:
            open_change(order, starts=order.starts_at + timedelta(hours=1), ends=order.ends_at + timedelta(hours=1))
        assert "new_starts_at" in exc.value.errors

        r = longer(order)
    assert r.respond_by == order.ends_at


# --- What each answer means, before answering ----------------------------------------------------


def test_the_worker_sees_the_money_the_new_hours_and_both_sides_terms_before_answering():
    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(days=3))
    r = longer(order, hours=2, price="110.00")

    preview = request_terms_preview(resolution_request=r, user=order.provider)

    assert (preview.difference, preview.charged, preview.refunded) == (Decimal("30.00"), Decimal("30.00"), 0)
    assert (preview.current.hours, preview.proposed.hours, preview.hours_difference) == (
        Decimal("6.00"),
        Decimal("8.00"),
        Decimal("2.00"),
    )
    assert preview.clash is None
    leave = preview.worker_leaves_after_accepting
    assert leave.allowed and leave.outcome.refund_to_client == Decimal("110.00")  # at the new pay
    employer = preview.employer_cancels_after_declining
    assert employer.allowed and employer.outcome == cancellation_decide(order=order, actor_role="client").outcome
    assert request_terms_preview(resolution_request=r, user=UserFactory()) is None


def test_the_clash_with_another_shift_is_shown_to_the_worker_only():
    order = shift_order(starts_in=timedelta(days=3))
    other = shift_order(provider=order.provider, starts_at=order.ends_at + timedelta(hours=1))
    r = longer(order, hours=3)

    assert request_terms_preview(resolution_request=r, user=order.provider).clash == other
    assert request_terms_preview(resolution_request=r, user=order.client).clash is None
    with pytest.raises(Conflict) as exc:
        request_accept(resolution_request=r, actor=order.provider)
    assert (exc.value.code, exc.value.extra["order"]) == ("schedule_clash", other.pk)
    r.refresh_from_db()
    assert r.state == RequestState.OPEN


# --- Accepted --------------------------------------------------------------------------------------


def test_accepted_a_raise_moves_the_times_and_charges_the_difference_into_escrow(django_capture_on_commit_callbacks):
    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(days=3))
    r = longer(order, hours=2, price="110.00")

    with django_capture_on_commit_callbacks(execute=True):
        request_accept(resolution_request=r, actor=order.provider, message="Fine")

    order.refresh_from_db()
    r.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, Resolution.BY_PARTY)
    assert (order.price, order.ends_at, order.state) == (Decimal("110.00"), r.new_ends_at, OrderState.BOOKED)
    charge = Charge.objects.get(order=order)
    assert (charge.amount, charge.kind) == (Decimal("30.00"), "terms_change")
    if charge.status != ChargeStatus.CHARGED:
        charge_settle(charge_id=charge.pk)
        charge.refresh_from_db()
    assert charge.status == ChargeStatus.CHARGED
    assert LedgerTransaction.objects.filter(order=order, kind="terms_change").count() == 1
    assert_every_transaction_balances()
    log = TransitionLog.objects.filter(order=order, transition="change_terms").get()
    assert (log.from_state, log.to_state, log.actor_id) == ("booked", "booked", order.provider_id)
    assert Notification.objects.filter(user=order.client, kind="request_accepted").exists()


def test_accepted_a_cut_refunds_the_difference_to_the_employer():
    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(days=3))
    r = open_change(order, ends=order.ends_at - timedelta(hours=2), price=Decimal("55.00"))

    request_accept(resolution_request=r, actor=order.provider)

    order.refresh_from_db()
    assert order.price == Decimal("55.00")
    refund = Refund.objects.get(order=order)
    assert (refund.amount, refund.status) == (Decimal("25.00"), RefundStatus.PENDING)
    assert LedgerTransaction.objects.filter(order=order, kind="terms_change").count() == 1
    assert_every_transaction_balances()


def test_a_moved_start_sends_the_reminders_again_and_counts_the_tiers_from_it():
    order = shift_order(starts_in=timedelta(hours=20))
    Order.objects.filter(pk=order.pk).update(first_reminder_at=timezone.now())
    order.refresh_from_db()
    new_start = order.starts_at + timedelta(days=2)
    r = open_change(order, starts=new_start, ends=new_start + timedelta(hours=6))
    before = cancellation_decide(order=order, actor_role="provider")

    request_accept(resolution_request=r, actor=order.provider)

    order.refresh_from_db()
    assert (order.starts_at, order.first_reminder_at) == (new_start, None)
    after = cancellation_decide(order=order, actor_role="provider")
    assert after.tier != before.tier  # 2–24 h before the old start; ≥ 24 h before the new one
    assert after.outcome.fee_to_platform == 0


# --- Declined, and silence -------------------------------------------------------------------------


def test_declined_nothing_changes_and_the_worker_may_leave_free():
    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(hours=10))
    paid_before = cancellation_decide(order=order, actor_role="provider")
    assert paid_before.outcome.fee_to_platform > 0  # inside 24 h the worker would pay a fee
    employer_before = cancellation_decide(order=order, actor_role="client")
    r = longer(order)

    request_decline(resolution_request=r, actor=order.provider, message="I have classes after.")

    order.refresh_from_db()
    assert (order.price, order.ends_at) == (Decimal("80.00"), r.old_ends_at)
    assert order.terms_declined_at is not None
    free = cancellation_decide(order=order, actor_role="provider")
    outcome = free.outcome
    assert (outcome.refund_to_client, outcome.fee_to_platform, outcome.credit_delta) == (Decimal("80.00"), 0, 0)
    assert not outcome.counts_against_completion_rate
    employer_after = cancellation_decide(order=order, actor_role="client")
    assert (employer_after.tier, employer_after.outcome) == (employer_before.tier, employer_before.outcome)
    notice = Notification.objects.get(user=order.client, kind="request_declined")
    assert "free" in notice.body_text

    order_cancel(order=order, actor=order.provider, reason="schedule_change")
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert order.cancellation.fee_to_platform == 0 and order.cancellation.credit_delta == 0


def test_silence_changes_nothing():
    order = shift_order(starts_in=timedelta(days=5))
    r = longer(order)

    with time_machine.travel(r.respond_by + timedelta(minutes=1), tick=False):
        sweep_run("disputes.expire_requests")

    r.refresh_from_db()
    order.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.EXPIRED, Resolution.AUTO_EXPIRED)
    assert (order.ends_at, order.terms_declined_at) == (r.old_ends_at, None)
    assert Notification.objects.filter(user=order.client, kind="request_expired").exists()


# --- API ---------------------------------------------------------------------------------------------


def test_api_the_employer_opens_change_terms_and_the_worker_reads_both_answers_consequences(api_as):
    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(days=3))
    new_end = order.ends_at + timedelta(hours=2)

    response = api_as(order.client).post(
        f"/api/v1/orders/{order.pk}/requests/",
        {"type": "change_terms", "new_ends_at": new_end.isoformat(), "new_price": "110.00", "message": "Longer?"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["type"], body["state"], body["new_price"], body["old_price"]) == (
        "change_terms",
        "open",
        "110.00",
        "80.00",
    )
    assert body["consequences"] is None and body["terms_consequences"]["accept"]["schedule_clash_order"] is None
    worker = api_as(order.provider).get(f"/api/v1/requests/{body['id']}/").json()
    assert worker["actions"] == ["accept", "decline"]
    terms = worker["terms_consequences"]
    assert (terms["accept"]["difference"], terms["accept"]["hours_difference"]) == ("30.00", "2.00")
    assert terms["accept"]["terms"]["price"] == "110.00"
    assert terms["accept"]["worker_cancels_then"]["refund_to_client"] == "110.00"
    assert terms["decline"]["worker_may_leave_free"] is True
    assert terms["decline"]["terms"]["price"] == "80.00"
    assert terms["decline"]["employer_cancels_then"]["allowed"] is True

    accepted = api_as(order.provider).post(f"/api/v1/requests/{body['id']}/accept/", {}, format="json")

    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["state"], accepted.json()["terms_consequences"]) == ("accepted", None)
    shown = api_as(order.provider).get(f"/api/v1/orders/{order.pk}/").json()
    assert shown["price"] == "110.00"


def test_api_bad_change_terms_input_is_a_field_error_never_a_5xx(api_as):
    order = shift_order()
    url = f"/api/v1/orders/{order.pk}/requests/"
    client = api_as(order.client)

    nothing = client.post(url, {"type": "change_terms", "message": "?"}, format="json")
    backwards = client.post(
        url,
        {"type": "change_terms", "new_ends_at": (order.starts_at - timedelta(hours=1)).isoformat(), "message": "?"},
        format="json",
    )
    negative = client.post(url, {"type": "change_terms", "new_price": "-5", "message": "?"}, format="json")
    by_worker = api_as(order.provider).post(
        url, {"type": "change_terms", "new_price": "90", "message": "?"}, format="json"
    )

    assert (nothing.status_code, list(nothing.json()["errors"])) == (400, ["new_price"])
    assert (backwards.status_code, list(backwards.json()["errors"])) == (400, ["new_ends_at"])
    assert (negative.status_code, list(negative.json()["errors"])) == (400, ["new_price"])
    assert (by_worker.status_code, by_worker.json()["code"]) == (403, "wrong_party")


def test_api_declining_lets_the_worker_leave_free_in_the_quote(api_as):
    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(hours=10))
    r = longer(order)

    response = api_as(order.provider).post(f"/api/v1/requests/{r.pk}/decline/", {"message": "No"}, format="json")

    assert response.status_code == 200
    quote = api_as(order.provider).get(f"/api/v1/orders/{order.pk}/cancellation-quote/")
    assert quote.status_code == 200, quote.json()
    assert (quote.json()["fee_to_platform"], quote.json()["credit_delta"]) == ("0.00", 0)


# --- Web ---------------------------------------------------------------------------------------------


def test_web_the_employer_proposes_from_the_order_page_and_the_worker_sees_each_answers_meaning(client):
    from django.urls import reverse

    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(days=3))
    client.force_login(order.client)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert reverse("request_open", args=[order.pk, "change_terms"]) in page
    form = client.get(reverse("request_open", args=[order.pk, "change_terms"])).content.decode()
    assert 'value="80.00"' in form  # the current terms filled in

    local_end = timezone.localtime(order.ends_at + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(
        reverse("request_open", args=[order.pk, "change_terms"]),
        {"open-change_terms-new_price": "0", "open-change_terms-message": "More?"},
    )
    assert bad.status_code == 400 and "new_price" in bad.content.decode()
    response = client.post(
        reverse("request_open", args=[order.pk, "change_terms"]),
        {
            "open-change_terms-new_ends_at": local_end,
            "open-change_terms-new_price": "110.00",
            "open-change_terms-message": "Two more hours?",
        },
    )
    assert response.status_code == 302
    r = ResolutionRequest.objects.get(order=order)
    minute = (order.ends_at + timedelta(hours=2)).replace(second=0, microsecond=0)  # the form's precision
    assert (r.new_price, r.new_ends_at) == (Decimal("110.00"), minute)

    client.force_login(order.provider)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "If you accept:" in html and "If you decline:" in html
    assert "You may then leave the shift free" in html
    assert "30.00" in html  # the difference

    done = client.post(reverse("request_action", args=[r.pk, "accept"]), {"request-accept-message": ""})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.price == Decimal("110.00")


def test_admin_shows_the_terms_before_and_as_proposed(admin_client):
    from django.urls import reverse

    order = shift_order(price=Decimal("80.00"))
    r = longer(order)

    html = admin_client.get(reverse("admin:disputes_resolutionrequest_change", args=[r.pk])).content.decode()

    assert "New pay" in html and "110.00" in html and "80.00" in html
