"""Money out: the wallet (pending, clearing, available), payouts through the gateway, netting of
fees, and the books reconciling themselves."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict, PermissionDenied, ValidationFailed
from core.jobs import sweep_run
from marketplace.models import Notification
from orders import payouts
from orders.gateways import gateway_get
from orders.ledger import account_for, ledger_post
from orders.models import AccountKind, LedgerTransaction, Order, Payout, PayoutState, Policy, ReconciliationRun
from orders.reconciliation import reconcile
from orders.wallet import wallet_for, wallet_line
from tests.factories import (
    UserFactory,
    shift_cancelled_late,
    shift_completed,
    shift_order,
    support_user,
)
from tests.gateways import RecordingGateway, use_gateway

pytestmark = pytest.mark.django_db
EUR = "EUR"


def earned(price="100.00", **kwargs):
    """A completed shift: its worker's earnings released (100 less the 10 % fee = 90 clearing)."""
    return shift_completed(price=Decimal(price), **kwargs)


def cleared(user=None):
    """Travel past the clearance days: what was clearing is available."""
    return time_machine.travel(timezone.now() + timedelta(days=8), tick=False)


# --- The wallet ----------------------------------------------------------------------------------------


def test_escrow_is_pending_released_money_clears_for_the_policys_days_then_is_available():
    booked = shift_order(price=Decimal("80.00"))
    assert wallet_line(booked.provider, EUR).pending == Decimal("72.00")

    order = earned()
    line = wallet_line(order.provider, EUR)
    assert (line.pending, line.clearing, line.available) == (0, Decimal("90.00"), 0)
    with cleared(order.provider):
        line = wallet_line(order.provider, EUR)
    assert (line.clearing, line.available) == (0, Decimal("90.00"))


def test_a_fee_is_netted_from_available_then_clearing_and_beyond_that_is_owed():
    late = shift_cancelled_late(price=Decimal("100.00"))  # 10 % fee to the worker, nothing earned
    line = wallet_line(late.provider, EUR)
    assert (line.available, line.owed, line.clearing) == (Decimal("-10.00"), Decimal("10.00"), 0)

    earned(provider=late.provider)  # 90 clearing: the 10 owed comes out of it
    line = wallet_line(late.provider, EUR)
    assert (line.clearing, line.available, line.balance) == (Decimal("80.00"), 0, Decimal("80.00"))
    with pytest.raises(Conflict) as exc:
        payouts.payout_request(user=late.provider, amount="10", currency=EUR)
    assert exc.value.code == "insufficient_funds"


def test_wallet_reads_in_two_queries(django_assert_num_queries):
    order = earned()
    shift_order(provider=order.provider)
    with django_assert_num_queries(3):  # the policy in force (prepared), open orders, the ledger sums
        wallet_for(order.provider)


# --- Payouts ----------------------------------------------------------------------------------------------


def test_a_payout_takes_available_money_and_the_gateway_pays_it_once(django_capture_on_commit_callbacks):
    order = earned()
    with cleared(order.provider):
        with django_capture_on_commit_callbacks(execute=True):
            payout = payouts.payout_request(user=order.provider, amount="50.00", currency=EUR)
        payout.refresh_from_db()
        assert (payout.state, payout.attempts) == (PayoutState.PAID, 1)
        assert payout.reference.startswith("sim_po_")
        assert wallet_line(order.provider, EUR).available == Decimal("40.00")
    kinds = list(LedgerTransaction.objects.filter(kind__startswith="payout").values_list("kind", flat=True))
    assert sorted(kinds) == ["payout", "payout_paid"]
    assert Notification.objects.filter(user=order.provider, kind="payout_paid").exists()
    assert reconcile().balanced


def test_refusals_more_than_available_below_the_minimum_over_the_daily_limit_bad_amounts():
    order = earned()
    Policy.objects.update(payout_daily_limit=Decimal("60.00"))
    with cleared(order.provider):
        with pytest.raises(Conflict) as exc:
            payouts.payout_request(user=order.provider, amount="90.01", currency=EUR)
        assert (exc.value.code, exc.value.extra["available"]) == ("insufficient_funds", "90.00")
        with pytest.raises(ValidationFailed) as exc:
            payouts.payout_request(user=order.provider, amount="9.99", currency=EUR)
        assert "amount" in exc.value.errors
        for bad in ("-5", "abc", "1.001", "NaN"):
            with pytest.raises(ValidationFailed):
                payouts.payout_request(user=order.provider, amount=bad, currency=EUR)
        with pytest.raises(ValidationFailed):
            payouts.payout_request(user=order.provider, amount="20", currency="XXX")
        payouts.payout_request(user=order.provider, amount="40", currency=EUR)
        with pytest.raises(Conflict) as exc:
            payouts.payout_request(user=order.provider, amount="30", currency=EUR)
        assert exc.value.code == "payout_limit"
    assert Payout.objects.count() == 1


def test_a_failed_payout_gives_the_money_back_and_support_can_try_again(settings):
    order = earned()
    use_gateway(settings, "tests.gateways.FailingPayoutGateway")
    with cleared(order.provider):
        payout = payouts.payout_request(user=order.provider, amount="60", currency=EUR)
        payouts.payout_send(payout_id=payout.pk)  # as the task queued on commit does
        payout.refresh_from_db()
        assert (payout.state, payout.failure_reason) == (PayoutState.FAILED, "bank account closed")
        assert wallet_line(order.provider, EUR).available == Decimal("90.00")
        assert Notification.objects.filter(user=order.provider, kind="payout_failed").exists()
        assert reconcile().balanced

        with pytest.raises(PermissionDenied):
            payouts.payout_retry(payout=payout, actor=order.provider)
        use_gateway(settings, "tests.gateways.RecordingGateway")
        payouts.payout_retry(payout=payout, actor=support_user())
        payouts.payout_send(payout_id=payout.pk)
        payout.refresh_from_db()
        assert (payout.state, payout.retries) == (PayoutState.PAID, 1)
        assert RecordingGateway.calls[-1][1] == f"payout-{payout.pk}-retry-1"
        assert wallet_line(order.provider, EUR).available == Decimal("30.00")
    assert reconcile().balanced


def test_interrupted_between_the_gateways_answer_and_its_record_the_sweep_finishes_without_paying_twice(settings):
    use_gateway(settings, "tests.gateways.RecordingGateway")
    order = earned()
    with cleared(order.provider):
        payout = Payout.objects.create(user=order.provider, amount=Decimal("50.00"), currency=EUR)
        ledger_post(
            kind="payout",
            currency=EUR,
            lines=[
                (account_for(kind=AccountKind.PROVIDER, currency=EUR, user=order.provider), Decimal("50.00")),
                (account_for(kind=AccountKind.PAYOUTS, currency=EUR), Decimal("-50.00")),
            ],
        )
        claimed = payouts._claim(payout.pk)
        gateway_get().payout(
            recipient_id=order.provider.pk, amount=claimed.amount, currency=EUR, idempotency_key=claimed.idempotency_key
        )
        # ... the process dies here: the answer is never recorded.
        assert sweep_run("orders.send_payouts").processed == 0  # the claim still holds
    with time_machine.travel(timezone.now() + timedelta(days=8, minutes=11), tick=False):
        assert sweep_run("orders.send_payouts").processed == 1
        assert sweep_run("orders.send_payouts").processed == 0
    payout.refresh_from_db()
    assert (payout.state, payout.attempts) == (PayoutState.PAID, 2)
    keys = [key for op, key, _in_tx in RecordingGateway.calls if op == "payout"]
    assert keys == [f"payout-{payout.pk}"] * 2  # the same key twice: the gateway moves the money once
    assert [key for op, key in RecordingGateway.moved if op == "payout"] == [f"payout-{payout.pk}"]
    assert LedgerTransaction.objects.filter(kind="payout_paid").count() == 1
    assert reconcile().balanced


@pytest.mark.django_db(transaction=True)
def test_the_gateway_is_called_outside_any_transaction(settings):
    use_gateway(settings, "tests.gateways.RecordingGateway")
    order = earned()
    with cleared(order.provider):
        payouts.payout_request(user=order.provider, amount="20", currency=EUR)
    payout_calls = [call for call in RecordingGateway.calls if call[0] == "payout"]
    assert payout_calls and not any(in_tx for _op, _key, in_tx in payout_calls)


# --- Reconciliation ---------------------------------------------------------------------------------------


def test_the_books_balance_after_orders_cancellations_changed_terms_and_payouts():
    from disputes.services.requests import request_accept
    from tests.disputes.test_requests_change_terms import longer

    earned()
    shift_cancelled_late()
    raised = shift_order(starts_in=timedelta(days=3))
    request_accept(resolution_request=longer(raised), actor=raised.provider)
    assert reconcile().balanced
    assert sweep_run("orders.reconcile_ledger").processed == 0  # differences found
    assert ReconciliationRun.objects.get().differences == []


@pytest.mark.books_unbalanced
def test_a_difference_is_found_kept_and_told_to_supervisors():
    order = shift_order()
    supervisor = support_user()
    from django.contrib.auth.models import Group

    supervisor.groups.add(Group.objects.get_or_create(name="supervisor")[0])
    Order.objects.filter(pk=order.pk).update(price=Decimal("1.00"))  # the escrow no longer matches

    sweep_run("orders.reconcile_ledger")

    run = ReconciliationRun.objects.get()
    assert [d["check"] for d in run.differences] == ["escrow"]
    assert run.differences[0]["difference"] == str(order.price - Decimal("1.00"))
    assert Notification.objects.filter(user=supervisor, kind="ledger_difference").exists()


# --- API and pages ------------------------------------------------------------------------------------------


def test_api_wallet_and_payouts(api_as):
    order = earned()
    api = api_as(order.provider)

    assert api.get("/api/v1/me/wallet/").json() == [
        {"currency": "EUR", "pending": "0.00", "clearing": "90.00", "available": "0.00", "owed": "0.00"}
    ]
    refused = api.post("/api/v1/me/payouts/", {"amount": "20.00", "currency": "EUR"}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_funds")
    with cleared(order.provider):
        made = api.post("/api/v1/me/payouts/", {"amount": "20.00", "currency": "EUR"}, format="json")
        assert made.status_code == 201, made.json()
        assert set(made.json()) >= {"id", "amount", "currency", "state"}
        assert (made.json()["amount"], made.json()["state"]) == ("20.00", "requested")  # sent once committed
        listed = api.get("/api/v1/me/payouts/").json()["results"]
        assert [p["id"] for p in listed] == [made.json()["id"]]
        bad = api.post("/api/v1/me/payouts/", {"amount": "-1", "currency": "EUR"}, format="json")
        assert (bad.status_code, list(bad.json()["errors"])) == (400, ["amount"])
    assert api_as(UserFactory()).get("/api/v1/me/wallet/").json() == []


def test_wallet_page_shows_each_figure_its_movements_and_takes_a_payout(client):
    order = earned()
    client.force_login(order.provider)
    with cleared(order.provider):
        page = client.get(reverse("wallet")).content.decode()
        assert "90.00" in page and reverse("order_detail", args=[order.pk]) in page
        bad = client.post(reverse("wallet"), {"payout-amount": "500", "payout-currency": "EUR"})
        assert bad.status_code == 400 and "available to pay out" in bad.content.decode()
        done = client.post(reverse("wallet"), {"payout-amount": "25", "payout-currency": "EUR"})
        assert done.status_code == 302
    assert Payout.objects.get().amount == Decimal("25.00")


def test_admin_payouts_queue_and_reconciliation(admin_client):
    order = earned()
    with cleared(order.provider):
        payouts.payout_request(user=order.provider, amount="30", currency=EUR)
    sweep_run("orders.reconcile_ledger")

    assert admin_client.get(reverse("admin:orders_payout_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:orders_reconciliationrun_changelist")).status_code == 200


# --- Statements ------------------------------------------------------------------------------------------


def test_a_months_statement_has_the_opening_each_movement_by_kind_and_the_closing(client):
    from datetime import UTC, datetime

    from orders.statements import statement_csv, statement_for

    with time_machine.travel(datetime(2026, 12, 10, 9, 0, tzinfo=UTC), tick=False):
        order = earned()  # released this month: 90 earned
        late = shift_cancelled_late(provider=order.provider, price=Decimal("50.00"))  # a 5.00 fee
        month = timezone.localdate().replace(day=1)

        statement = statement_for(order.provider, month)

        (eur,) = statement.currencies
        assert eur.opening == 0 and eur.closing == Decimal("85.00")
        totals = {code: total for code, _label, total in eur.totals}
        assert totals == {"earnings": Decimal("90.00"), "fees": Decimal("-5.00")}
        assert {line.order_id for line in eur.lines} == {order.pk, late.pk}
        text = statement_csv(statement)
        assert "total_earnings" in text and "closing" in text and "85.00" in text

        client.force_login(order.provider)
        page = client.get(reverse("wallet_statement", args=["2026-12"]))
        csv_file = client.get(reverse("wallet_statement_csv", args=["2026-12"]))
        assert page.status_code == 200 and "85.00" in page.content.decode()
        assert csv_file["Content-Type"] == "text/csv" and b"closing" in csv_file.content
        assert client.get(reverse("wallet_statement", args=["2026-13"])).status_code == 404
        assert client.get(reverse("wallet_statement", args=["junk"])).status_code == 404
        assert statement_for(order.provider, datetime(2027, 1, 1).date()).currencies[0].opening == Decimal("85.00")


def test_payouts_are_webhook_events_and_readable_one_by_one(api_as, settings):
    from core.models import WebhookDelivery
    from core.webhooks.services import webhook_endpoint_create

    order = earned()
    webhook_endpoint_create(owner=order.provider, url="https://partner.example/gigfair", events=["payout.*"])
    with cleared(order.provider):
        paid = payouts.payout_request(user=order.provider, amount="30", currency=EUR)
        payouts.payout_send(payout_id=paid.pk)  # what the task queued on commit does
        use_gateway(settings, "tests.gateways.FailingPayoutGateway")
        failed = payouts.payout_request(user=order.provider, amount="20", currency=EUR)
        payouts.payout_send(payout_id=failed.pk)
        use_gateway(settings, "tests.gateways.RecordingGateway")
        payouts.payout_retry(payout=failed, actor=support_user())
        payouts.payout_send(payout_id=failed.pk)
    deliveries = list(WebhookDelivery.objects.order_by("id").values_list("event_type", "payload"))
    assert [t for t, _p in deliveries] == [
        "payout.requested",
        "payout.paid",
        "payout.requested",
        "payout.failed",
        "payout.requested",
        "payout.paid",
    ]
    assert deliveries[0][1]["data"]["object"]["url"].endswith(f"/api/v1/me/payouts/{paid.pk}/")
    assert deliveries[3][1]["data"]["reason"] == "bank account closed"

    body = api_as(order.provider).get(f"/api/v1/me/payouts/{paid.pk}/").json()
    assert (body["id"], body["state"], body["amount"]) == (paid.pk, "paid", "30.00")
    assert api_as(UserFactory()).get(f"/api/v1/me/payouts/{paid.pk}/").status_code == 404


def test_the_statement_is_in_the_api_too(api_as):
    from datetime import UTC, datetime

    with time_machine.travel(datetime(2026, 12, 10, 9, 0, tzinfo=UTC), tick=False):
        order = earned()
        late = shift_cancelled_late(provider=order.provider, price=Decimal("50.00"))
        api = api_as(order.provider)
        body = api.get("/api/v1/me/statements/2026-12/").json()
    assert body["month"] == "2026-12" and body["time_zone"]
    (eur,) = body["currencies"]
    assert (eur["currency"], eur["opening"], eur["closing"]) == ("EUR", "0.00", "85.00")
    assert {t["category"]: t["amount"] for t in eur["totals"]} == {"earnings": "90.00", "fees": "-5.00"}
    assert {line["order"] for line in eur["lines"]} == {order.pk, late.pk}
    assert (eur["paid_as_client"], eur["refunded_as_client"]) == ("0.00", "0.00")
    for bad in ("2026-13", "junk", "1999-12"):
        response = api.get(f"/api/v1/me/statements/{bad}/")
        assert response.status_code == 404 and response["Content-Type"].startswith("application/problem+json")
    assert api_as(UserFactory()).get("/api/v1/me/statements/2026-12/").json()["currencies"] == []


def test_support_downloads_a_providers_statement_from_the_admin(client):
    from orders.models import Account

    order = earned()
    account = Account.objects.get(kind=AccountKind.PROVIDER, user=order.provider)
    client.force_login(support_user())
    page = client.get(reverse("admin:orders_account_change", args=[account.pk])).content.decode()
    month = f"{timezone.localdate():%Y-%m}"
    url = reverse("admin:orders_account_statement_csv", args=[account.pk, month])
    assert url in page
    csv_file = client.get(url)
    assert csv_file["Content-Type"] == "text/csv" and b"90.00" in csv_file.content
    assert client.get(reverse("admin:orders_account_statement_csv", args=[account.pk, "junk"])).status_code == 404
    escrow = account_for(kind=AccountKind.ESCROW, currency=EUR)
    assert client.get(reverse("admin:orders_account_statement_csv", args=[escrow.pk, month])).status_code == 404
    client.force_login(order.provider)
    assert client.get(url).status_code == 302  # not staff: to the admin's login
