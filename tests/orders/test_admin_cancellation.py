"""Cancellation in the back office: support rulings, appeals, refunds and why orders end."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.jobs import sweep_run
from credit.models import CreditEvent
from orders.cancellation import order_cancel, order_cancel_by_support
from orders.gateways import _gateway_class
from orders.models import Cancellation, LedgerTransaction, Order, OrderState, Refund, RefundStatus
from tests.factories import UserFactory, order_completed, service_order, shift_cancelled_late, shift_order, support_with
from tests.gateways import FlakyRefundGateway

pytestmark = pytest.mark.django_db

RULING = {"fault": "client", "reason": "client_changed_demand", "message": "The client withdrew the job."}


def rule_url(order: Order) -> str:
    return reverse("admin:orders_order_rule_cancellation", args=(order.pk,))


def appeal_url(cancellation: Cancellation) -> str:
    return reverse("admin:orders_cancellation_uphold_appeal", args=(cancellation.pk,))


# --- Support rulings ---------------------------------------------------------------------


def test_the_order_page_offers_a_ruling_only_while_the_order_is_open(admin_client):
    open_order, done = service_order(), order_completed()

    open_page = admin_client.get(reverse("admin:orders_order_change", args=(open_order.pk,)))
    done_page = admin_client.get(reverse("admin:orders_order_change", args=(done.pk,)))

    assert rule_url(open_order) in open_page.content.decode()
    assert rule_url(done) not in done_page.content.decode()


def test_the_ruling_page_shows_what_each_fault_would_do(admin_client):
    order = service_order()

    response = admin_client.get(rule_url(order))

    content = response.content.decode()
    rows = dict(response.context["choices"])
    assert response.status_code == 200
    assert [str(f) for f in response.context["faults"]] == [
        "client responsible",
        "provider responsible",
        "force majeure",
        "no one",
    ]
    assert rows["refund to the client"] == ["120.00 EUR"] * 4
    assert rows["credit change"] == [
        f"-10 for the client ({order.client})",
        f"-10 for the provider ({order.provider})",
        "none",
        "none",
    ]
    assert rows["completion rate"][1] == "counts against the provider"
    assert "Show the consequences" in content
    assert not Cancellation.objects.exists()


def test_choosing_a_fault_shows_its_consequences_and_asks_to_confirm(admin_client):
    order = service_order()

    response = admin_client.post(rule_url(order), {**RULING, "refund_percent": "60"})

    preview = dict(response.context["preview"])
    order.refresh_from_db()
    assert response.status_code == 200
    assert preview["refund to the client"] == "72.00 EUR"
    assert preview["compensation to the provider"] == "48.00 EUR"
    assert preview["credit change"] == f"-10 for the client ({order.client})"
    assert 'name="_confirm"' in response.content.decode()
    assert order.state == OrderState.AWAITING_REQUIREMENTS
    assert not Cancellation.objects.exists()


def test_going_back_from_the_confirmation_keeps_what_was_entered(admin_client):
    order = service_order()

    response = admin_client.post(rule_url(order), {**RULING, "_back": "1"})

    assert response.context["preview"] is None
    assert response.context["form"]["message"].value() == RULING["message"]
    assert not Cancellation.objects.exists()


def test_confirming_a_client_responsible_ruling_cancels_and_costs_the_client_credit(admin_client):
    order = service_order()

    response = admin_client.post(rule_url(order), {**RULING, "_confirm": "1"}, follow=True)

    order.refresh_from_db()
    cancellation = order.cancellation
    assert response.status_code == 200
    assert order.state == OrderState.CANCELLED
    assert (cancellation.actor.username, cancellation.actor_role) == ("admin", "support")
    assert (cancellation.path, cancellation.fault) == ("ruling_client_responsible", "client")
    assert (cancellation.reason, cancellation.message) == ("client_changed_demand", RULING["message"])
    assert (cancellation.refund_to_client, cancellation.fee_to_platform) == (Decimal("120.00"), Decimal("0.00"))
    assert cancellation.counts_against_completion_rate is False
    event = CreditEvent.objects.get(order=order, delta__lt=0)
    assert (event.user, event.delta) == (order.client, -10)
    assert "is cancelled by your ruling" in response.content.decode()


def test_a_force_majeure_ruling_charges_no_fee_and_spares_everyones_credit(admin_client):
    order = shift_order()

    admin_client.post(rule_url(order), {**RULING, "fault": "force_majeure", "reason": "force_majeure", "_confirm": "1"})

    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.fault, cancellation.fee_to_platform, cancellation.credit_delta) == (
        "force_majeure",
        Decimal("0.00"),
        0,
    )
    assert not CreditEvent.objects.filter(order=order, delta__lt=0).exists()
    assert not LedgerTransaction.objects.filter(order=order, kind="provider_fee").exists()


def test_a_refund_override_splits_the_rest_to_the_provider(admin_client):
    order = service_order()

    admin_client.post(rule_url(order), {**RULING, "fault": "none", "refund_percent": "25", "_confirm": "1"})

    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.refund_to_client, cancellation.compensation_to_provider) == (
        Decimal("30.00"),
        Decimal("90.00"),
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("message", "   "), ("fault", "nobody"), ("reason", "no_show"), ("refund_percent", "101")],
)
def test_a_ruling_with_bad_input_is_refused_with_a_form_error(admin_client, field, value):
    order = service_order()

    response = admin_client.post(rule_url(order), {**RULING, field: value, "_confirm": "1"})

    order.refresh_from_db()
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert order.state == OrderState.AWAITING_REQUIREMENTS
    assert not Cancellation.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_ruling_on_a_completed_order_is_refused_with_an_admin_error(admin_client, method):
    order = order_completed()

    response = getattr(admin_client, method)(rule_url(order), {**RULING, "_confirm": "1"}, follow=True)

    order.refresh_from_db()
    assert response.redirect_chain[-1][0] == reverse("admin:orders_order_change", args=(order.pk,))
    assert "This order is already closed" in response.content.decode()
    assert order.state == OrderState.COMPLETED
    assert not Cancellation.objects.exists()


def test_an_order_cancelled_meanwhile_is_refused_on_confirm(admin_client):
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="schedule_change")

    response = admin_client.post(rule_url(order), {**RULING, "_confirm": "1"}, follow=True)

    assert "already closed" in response.content.decode()
    assert Cancellation.objects.get(order=order).actor_role == "client"


def test_a_user_who_is_not_staff_cannot_rule(client):
    order = service_order()
    client.force_login(order.client)

    page = client.get(rule_url(order))
    post = client.post(rule_url(order), {**RULING, "_confirm": "1"})

    order.refresh_from_db()
    assert page.status_code == post.status_code == 302
    assert reverse("admin:login") in post["Location"]
    assert order.state == OrderState.AWAITING_REQUIREMENTS


def test_staff_need_the_change_order_permission_to_rule(client):
    order = service_order()
    staff = support_with("view_order")
    client.force_login(staff)

    view_page = client.get(reverse("admin:orders_order_change", args=(order.pk,)))
    post = client.post(rule_url(order), {**RULING, "_confirm": "1"})

    order.refresh_from_db()
    assert view_page.status_code == 200
    assert rule_url(order) not in view_page.content.decode()
    assert post.status_code == 403
    assert order.state == OrderState.AWAITING_REQUIREMENTS


def test_staff_with_the_change_order_permission_can_rule(client):
    order = service_order()
    staff = support_with("view_order", "change_order")
    client.force_login(staff)

    client.post(rule_url(order), {**RULING, "_confirm": "1"})

    assert Cancellation.objects.get(order=order).actor == staff


# --- Appeals -----------------------------------------------------------------------------


def test_the_appeal_button_shows_only_until_the_cancellation_is_reversed(admin_client):
    cancellation = shift_cancelled_late().cancellation
    page = admin_client.get(reverse("admin:orders_cancellation_change", args=(cancellation.pk,)))
    admin_client.post(appeal_url(cancellation), {"reason": "The venue closed."})

    after = admin_client.get(reverse("admin:orders_cancellation_change", args=(cancellation.pk,)))

    assert appeal_url(cancellation) in page.content.decode()
    assert appeal_url(cancellation) not in after.content.decode()
    assert "The venue closed." in after.content.decode()


def test_the_appeal_page_says_what_upholding_undoes(admin_client):
    cancellation = shift_cancelled_late().cancellation

    response = admin_client.get(appeal_url(cancellation))

    rows = dict(response.context["rows"])
    assert rows["Fee"] == f"8.00 EUR refunded to the provider {cancellation.order.provider}"
    assert rows["Credit change"] == f"-10 for {cancellation.order.provider} is reversed by an opposite event"


def test_upholding_an_appeal_refunds_the_fee_and_reverses_the_credit_event(admin_client):
    cancellation = shift_cancelled_late().cancellation
    order = cancellation.order
    penalty = CreditEvent.objects.get(order=order, delta=-10)

    response = admin_client.post(appeal_url(cancellation), {"reason": "The venue closed."}, follow=True)

    cancellation.refresh_from_db()
    assert cancellation.reversed_by.username == "admin"
    assert cancellation.reversed_at is not None
    assert cancellation.reversal_reason == "The venue closed."
    assert cancellation.counts_against_completion_rate is False
    assert LedgerTransaction.objects.filter(order=order, kind="fee_reversal").count() == 1
    assert CreditEvent.objects.get(reverses=penalty).delta == 10
    assert "Appeal upheld" in response.content.decode()


def test_an_appeal_is_upheld_only_once(admin_client):
    cancellation = shift_cancelled_late().cancellation
    admin_client.post(appeal_url(cancellation), {"reason": "The venue closed."})
    events = CreditEvent.objects.count()

    again = admin_client.post(appeal_url(cancellation), {"reason": "Once more."}, follow=True)

    cancellation.refresh_from_db()
    assert "already reversed on appeal" in again.content.decode()
    assert cancellation.reversal_reason == "The venue closed."
    assert CreditEvent.objects.count() == events
    assert LedgerTransaction.objects.filter(order=cancellation.order, kind="fee_reversal").count() == 1


def test_an_appeal_needs_a_ruling(admin_client):
    cancellation = shift_cancelled_late().cancellation

    response = admin_client.post(appeal_url(cancellation), {"reason": "  "})

    cancellation.refresh_from_db()
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert cancellation.reversed_at is None


def test_staff_without_the_change_cancellation_permission_cannot_uphold(client):
    cancellation = shift_cancelled_late().cancellation
    staff = support_with("view_cancellation")
    client.force_login(staff)

    response = client.post(appeal_url(cancellation), {"reason": "The venue closed."})

    cancellation.refresh_from_db()
    assert response.status_code == 403
    assert cancellation.reversed_at is None


# --- Why orders are cancelled ------------------------------------------------------------


def cancellations(n: int) -> list[Cancellation]:
    reasons = ["schedule_change", "logistics", "other"]
    admin = UserFactory(support=True)
    for i in range(n):
        order = service_order() if i % 3 else shift_order()
        if i % 4 == 0:
            order_cancel_by_support(order=order, actor=admin, fault="provider", reason="service_quality", message="x")
        else:
            order_cancel(order=order, actor=order.client, reason=reasons[i % 3])
    return list(Cancellation.objects.all())


def test_the_cancellation_list_counts_by_reason_and_path_in_bounded_queries(
    admin_client, django_assert_max_num_queries
):
    made = cancellations(12)

    with django_assert_max_num_queries(14):
        response = admin_client.get(reverse("admin:orders_cancellation_changelist"))

    summary = response.context["summary"]
    by_reason = {row["label"]: row["count"] for row in summary["by_reason"]}
    by_path = {row["label"]: row["count"] for row in summary["by_path"]}
    assert sum(by_reason.values()) == sum(by_path.values()) == len(made)
    assert by_reason["service quality"] == 3
    assert by_path["support ruling: provider responsible"] == 3
    assert "support ruling: provider responsible" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"path__exact": "ruling_provider_responsible"}, 3),
        ({"reason__exact": "service_quality"}, 3),
        ({"fault__exact": "provider"}, 3),
        ({"actor_role": "support"}, 3),
        ({"reversed": "no"}, 12),
        ({"reversed": "yes"}, 0),
    ],
)
def test_the_summary_counts_the_filtered_cancellations(admin_client, query, expected):
    cancellations(12)

    response = admin_client.get(reverse("admin:orders_cancellation_changelist"), query)

    assert response.context["cl"].result_count == expected
    assert sum(row["count"] for row in response.context["summary"]["by_reason"]) == expected


def test_cancellations_are_found_by_order_number_and_username(admin_client):
    alice = UserFactory(username="alice")
    order = service_order(client=alice)
    order_cancel(order=order, actor=alice, reason="other")
    cancellations(3)

    by_name = admin_client.get(reverse("admin:orders_cancellation_changelist"), {"q": "alice"})
    by_id = admin_client.get(reverse("admin:orders_cancellation_changelist"), {"q": str(order.pk)})

    assert [c.order_id for c in by_name.context["cl"].result_list] == [order.pk]
    assert order.pk in [c.order_id for c in by_id.context["cl"].result_list]


# --- Refunds -----------------------------------------------------------------------------


@pytest.fixture
def flaky_refunds(settings):
    settings.PAYMENT_GATEWAY = "tests.gateways.FlakyRefundGateway"
    _gateway_class.cache_clear()
    FlakyRefundGateway.failures_left = 1
    yield
    FlakyRefundGateway.failures_left = 0
    _gateway_class.cache_clear()


def failed_refund() -> Refund:
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    refund = order.refunds.get()
    with time_machine.travel(refund.settle_after, tick=False):
        sweep_run("orders.settle_refunds")
    refund.refresh_from_db()
    assert refund.status == RefundStatus.FAILED
    return refund


def test_retry_now_makes_a_failed_refund_due_and_the_next_sweep_settles_it(admin_client, flaky_refunds):
    refund = failed_refund()
    assert refund.settle_after > timezone.now()

    response = admin_client.post(
        reverse("admin:orders_refund_changelist"),
        {"action": "retry_now", "_selected_action": [refund.pk]},
        follow=True,
    )
    refund.refresh_from_db()
    assert refund.settle_after <= timezone.now()
    assert "1 failed refund is due now" in response.content.decode()

    sweep_run("orders.settle_refunds")

    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RefundStatus.SETTLED, 2)


def test_retry_now_leaves_refunds_that_did_not_fail(admin_client):
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    refund = order.refunds.get()

    response = admin_client.post(
        reverse("admin:orders_refund_changelist"),
        {"action": "retry_now", "_selected_action": [refund.pk]},
        follow=True,
    )

    before = refund.settle_after
    refund.refresh_from_db()
    assert refund.settle_after == before
    assert "only failed refunds can be" in response.content.decode()


def test_refunds_filter_by_status_attempts_and_failure(admin_client, flaky_refunds, django_assert_max_num_queries):
    failed = failed_refund()
    for _ in range(5):
        order = service_order()
        order_cancel(order=order, actor=order.client, reason="other")
    url = reverse("admin:orders_refund_changelist")

    with django_assert_max_num_queries(14):
        response = admin_client.get(url, {"status__exact": "failed", "attempts": "1", "failure": "yes"})
    pending = admin_client.get(url, {"attempts": "0", "failure": "no"})

    assert [r.pk for r in response.context["cl"].result_list] == [failed.pk]
    assert response.context["cl"].result_count == 1
    assert pending.context["cl"].result_count == 5


def test_refunds_stay_read_only(admin_client):
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    refund = order.refunds.get()

    page = admin_client.get(reverse("admin:orders_refund_change", args=(refund.pk,)))
    admin_client.post(reverse("admin:orders_refund_change", args=(refund.pk,)), {"status": "settled"})

    refund.refresh_from_db()
    assert b'name="_save"' not in page.content
    assert refund.status == RefundStatus.PENDING
