"""Deposits (押金): asked of workers under the policy's score before booking shifts above its value,
put down from the wallet or by card, partly kept on a late cancellation (the tier's fee, from the
deposit first), returned when the score recovers or on request with no open orders."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict, PaymentFailed, ValidationFailed
from core.jobs import sweep_run
from credit.services import credit_adjust
from marketplace.models import Notification
from orders import deposits
from orders.cancellation import cancellation_reverse
from orders.gateways import gateway_get
from orders.handovers import handover_accept, handover_offer
from orders.models import (
    Cancellation,
    DepositPayment,
    DepositPaymentState,
    LedgerTransaction,
    OrderState,
    Policy,
)
from orders.reconciliation import reconcile
from orders.wallet import wallet_line
from tests.factories import (
    ShiftListingFactory,
    UserFactory,
    order_cancelled,
    shift_completed,
    shift_order,
    support_user,
)
from tests.gateways import RecordingGateway, use_gateway

pytestmark = pytest.mark.django_db
EUR = "EUR"
D = Decimal


@pytest.fixture(autouse=True)
def deposits_on():
    """Workers under 80 hold 50.00 before booking shifts paying more than 100.00."""
    Policy.objects.update(deposit_below_score=80, deposit_above_price=D("100.00"), deposit_amount=D("50.00"))


def low(worker=None, by=30):
    worker = worker or UserFactory()
    credit_adjust(user=worker, delta=-by, actor=support_user(), reason="Cancelled late three times")
    return worker


def card_deposit(worker, amount=None):
    return deposits.deposit_pay(user=worker, currency=EUR, amount=amount, source="card")


def held(worker) -> Decimal:
    return deposits.deposit_held(worker.pk, EUR)


# --- Asked before booking ---------------------------------------------------------------------------


def test_a_worker_under_the_score_is_asked_for_the_deposit_before_a_shift_above_the_value():
    worker = low()
    with pytest.raises(Conflict) as exc:
        shift_order(provider=worker, price=D("120.00"))
    assert exc.value.code == "deposit_required"
    assert exc.value.extra == {"deposit": "50.00", "held": "0.00", "missing": "50.00", "currency": EUR}
    assert "50.00 EUR" in exc.value.message

    # At or below the value, or with a good score, nothing is asked.
    assert shift_order(provider=worker, price=D("100.00")).state == OrderState.BOOKED
    assert shift_order(provider=UserFactory(), price=D("500.00")).state == OrderState.BOOKED
    Policy.objects.update(deposit_below_score=None)
    assert shift_order(provider=worker, price=D("500.00"), starts_in=timedelta(days=4)).state == OrderState.BOOKED


def test_with_the_deposit_held_the_shift_is_booked_and_a_part_is_not_enough():
    worker = low()
    card_deposit(worker, amount="20.00")
    with pytest.raises(Conflict) as exc:
        shift_order(provider=worker, price=D("120.00"))
    assert exc.value.extra["missing"] == "30.00"
    payment = card_deposit(worker)  # by default: what is missing
    assert payment.amount == D("30.00")
    assert held(worker) == D("50.00")
    assert shift_order(provider=worker, price=D("120.00")).state == OrderState.BOOKED
    with pytest.raises(Conflict) as exc:
        card_deposit(worker)
    assert exc.value.code == "deposit_complete"


def test_taking_a_shift_over_asks_the_same_deposit():
    order = shift_order(price=D("150.00"))
    handover = handover_offer(order=order, actor=order.provider)
    taker = low()
    with pytest.raises(Conflict) as exc:
        handover_accept(handover=handover, actor=taker)
    assert exc.value.code == "deposit_required"
    card_deposit(taker)
    handover_accept(handover=handover, actor=taker)
    order.refresh_from_db()
    assert order.provider_id == taker.pk


# --- Putting it down --------------------------------------------------------------------------------


def test_from_the_wallet_it_takes_available_money_only():
    worker = low()
    shift_completed(provider=worker, price=D("100.00"))  # 90.00 clearing
    with pytest.raises(Conflict) as exc:
        deposits.deposit_pay(user=worker, currency=EUR, amount="50.00")
    assert (exc.value.code, exc.value.extra) == ("insufficient_funds", {"available": "0.00"})
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        payment = deposits.deposit_pay(user=worker, currency=EUR)
        assert (payment.source, payment.state, payment.amount) == ("wallet", DepositPaymentState.PAID, D("50.00"))
        assert wallet_line(worker, EUR).available == D("40.00")
    assert held(worker) == D("50.00")


def test_by_card_it_is_charged_outside_any_transaction_and_a_decline_holds_nothing(settings):
    use_gateway(settings, "tests.gateways.RecordingGateway")
    worker = low()
    payment = card_deposit(worker)
    assert (payment.state, payment.reference[:6]) == (DepositPaymentState.PAID, "sim_ch")
    assert RecordingGateway.calls == [("charge", f"deposit-{payment.pk}", False)] or RecordingGateway.calls[0][:2] == (
        "charge",
        f"deposit-{payment.pk}",
    )

    other = low()
    use_gateway(settings, "tests.gateways.DecliningGateway")
    with pytest.raises(PaymentFailed) as exc:
        card_deposit(other)
    assert "card declined" in exc.value.message
    failed = DepositPayment.objects.get(user=other)
    assert (failed.state, failed.failure_reason) == (DepositPaymentState.FAILED, "card declined")
    assert held(other) == 0


def test_a_card_payment_whose_answer_was_lost_is_asked_again_with_the_same_key(settings):
    use_gateway(settings, "tests.gateways.RecordingGateway")
    worker = low()
    payment = deposits._payment_begin(user=worker, currency=EUR, amount="50.00", source="card")
    gateway_get().charge(
        customer_id=worker.pk, amount=payment.amount, currency=EUR, idempotency_key=payment.idempotency_key
    )
    # ... the process dies here: the answer is never recorded.
    assert sweep_run("orders.finish_deposit_payments").processed == 0  # the claim still holds
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert sweep_run("orders.finish_deposit_payments").processed == 1
        assert sweep_run("orders.finish_deposit_payments").processed == 0
    payment.refresh_from_db()
    assert (payment.state, payment.attempts) == (DepositPaymentState.PAID, 2)
    assert [key for op, key in RecordingGateway.moved if op == "charge"] == [f"deposit-{payment.pk}"]
    assert LedgerTransaction.objects.filter(kind="deposit").count() == 1
    assert held(worker) == D("50.00")


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("abc", EUR, "amount"),
        ("0", EUR, "amount"),
        ("1.005", EUR, "amount"),
        ("1e400", EUR, "amount"),
        ("5", "XXX", "currency"),
    ],
)
def test_bad_input_is_a_field_error(amount, currency, field):
    with pytest.raises(ValidationFailed) as exc:
        deposits.deposit_pay(user=low(), currency=currency, amount=amount, source="card")
    assert field in exc.value.errors


# --- Kept on a late cancellation -------------------------------------------------------------------------


def test_a_late_cancellation_takes_the_tiers_fee_from_the_deposit_first(api_as):
    worker = low()
    card_deposit(worker)
    order = shift_order(provider=worker, price=D("200.00"), starts_in=timedelta(hours=5))  # fee 10 % = 20.00
    quote = api_as(worker).get(f"/api/v1/orders/{order.pk}/cancellation-quote/").json()
    assert (quote["fee_to_platform"], quote["fee_from_deposit"]) == ("20.00", "20.00")
    assert api_as(order.client).get(f"/api/v1/orders/{order.pk}/cancellation-quote/").json()["fee_from_deposit"] is None

    order_cancelled(order=order, by="provider")
    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.fee_to_platform, cancellation.deposit_kept) == (D("20.00"), D("20.00"))
    assert held(worker) == D("30.00")
    assert wallet_line(worker, EUR).available == 0  # nothing owed: the deposit paid the fee


def test_a_fee_beyond_the_deposit_is_netted_from_the_account_and_an_upheld_appeal_puts_it_back(client):
    worker = low()
    card_deposit(worker, amount="5.00")
    Policy.objects.update(deposit_amount=D("5.00"))
    order = shift_order(provider=worker, price=D("200.00"), starts_in=timedelta(hours=5))
    client.force_login(worker)
    page = client.get(reverse("order_cancel", args=[order.pk]))
    assert "5.00" in page.content.decode() and "kept from your deposit" in page.content.decode()

    order_cancelled(order=order, by="provider")
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.deposit_kept == D("5.00")
    assert held(worker) == 0
    assert wallet_line(worker, EUR).owed == D("15.00")

    cancellation_reverse(cancellation=cancellation, actor=support_user(), reason="The venue had closed")
    assert held(worker) == D("5.00")
    assert wallet_line(worker, EUR).owed == 0


# --- Returned ------------------------------------------------------------------------------------------


def test_returned_on_request_only_without_open_orders(api_as):
    worker = low()
    card_deposit(worker)
    order = shift_order(provider=worker, price=D("150.00"))
    response = api_as(worker).post("/api/v1/me/deposits/return/", {"currency": EUR}, format="json")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["open_orders"]) == ("open_orders", 1)

    order_cancelled(order=order, by="client")
    response = api_as(worker).post("/api/v1/me/deposits/return/", {"currency": EUR}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"currency": EUR, "returned": "50.00"}
    assert held(worker) == 0
    assert wallet_line(worker, EUR).available == D("50.00")  # available at once: it never was an earning
    assert Notification.objects.filter(user=worker, kind="deposit_returned").exists()
    again = api_as(worker).post("/api/v1/me/deposits/return/", {"currency": EUR}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "no_deposit")


def test_the_sweep_returns_deposits_once_the_score_recovers_or_the_policy_drops_them():
    recovered, still_low, other = low(by=30), low(by=30), low(by=30)
    for worker in (recovered, still_low, other):
        card_deposit(worker)
    shift_order(provider=recovered, price=D("150.00"))  # an open order does not keep a deposit no longer asked
    credit_adjust(user=recovered, delta=15, actor=support_user(), reason="Reviewed")  # 85: at or above 80
    assert sweep_run("orders.return_deposits").processed == 1
    assert (held(recovered), held(still_low)) == (0, D("50.00"))
    assert wallet_line(recovered, EUR).available == D("50.00")
    assert sweep_run("orders.return_deposits").processed == 0

    Policy.objects.update(deposit_below_score=None)
    assert sweep_run("orders.return_deposits").processed == 2
    assert held(still_low) == held(other) == 0
    assert reconcile().balanced


# --- API and web ---------------------------------------------------------------------------------------


def test_api_lists_pays_and_refuses_with_problems(api_as):
    worker = low()
    api = api_as(worker)
    assert api.get("/api/v1/me/deposits/").json() == [
        {"currency": EUR, "held": "0.00", "asked": True, "amount": "50.00", "above_price": "100.00", "missing": "50.00"}
    ]
    bad = api.post("/api/v1/me/deposits/", {"currency": EUR, "amount": "1.001", "source": "card"}, format="json")
    assert bad.status_code == 400 and "amount" in bad.json()["errors"]
    bad = api.post("/api/v1/me/deposits/", {"currency": EUR, "source": "cash"}, format="json")
    assert bad.status_code == 400 and "source" in bad.json()["errors"]
    poor = api.post("/api/v1/me/deposits/", {"currency": EUR}, format="json")
    assert (poor.status_code, poor.json()["code"]) == (409, "insufficient_funds")
    assert poor["Content-Type"].startswith("application/problem+json")
    made = api.post("/api/v1/me/deposits/", {"currency": EUR, "source": "card"}, format="json")
    assert made.status_code == 201, made.content
    assert {k: made.json()[k] for k in ("amount", "currency", "source", "state")} == {
        "amount": "50.00",
        "currency": EUR,
        "source": "card",
        "state": "paid",
    }
    assert api.get("/api/v1/me/deposits/").json()[0]["missing"] == "0.00"
    listing = ShiftListingFactory(price=D("150.00"))
    booked = api.post("/api/v1/orders/", {"listing": listing.pk}, format="json")
    assert booked.status_code == 201, booked.content


def test_api_booking_without_the_deposit_is_409_with_what_is_missing(api_as):
    listing = ShiftListingFactory(price=D("150.00"))
    response = api_as(low()).post("/api/v1/orders/", {"listing": listing.pk}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["missing"], body["currency"]) == ("deposit_required", "50.00", EUR)


def test_wallet_page_shows_the_deposit_and_its_forms_answer_with_form_errors(client):
    worker = low()
    client.force_login(worker)
    page = client.get(reverse("wallet"))
    text = page.content.decode()
    assert page.status_code == 200 and 'id="deposit"' in text and "Put down the deposit" in text
    refused = client.post(
        reverse("wallet"),
        {"form": "deposit", "deposit-amount": "50.00", "deposit-currency": EUR, "deposit-source": "wallet"},
    )
    assert refused.status_code == 400 and "is available" in refused.content.decode()
    bad = client.post(
        reverse("wallet"), {"form": "deposit", "deposit-amount": "x", "deposit-currency": EUR, "deposit-source": "card"}
    )
    assert bad.status_code == 400
    done = client.post(
        reverse("wallet"),
        {"form": "deposit", "deposit-amount": "50.00", "deposit-currency": EUR, "deposit-source": "card"},
    )
    assert done.status_code == 302
    page = client.get(reverse("wallet")).content.decode()
    assert "Deposit put down" in page and "Return my EUR deposit" in page
    shift_order(provider=worker, price=D("150.00"))
    refused = client.post(reverse("wallet"), {"form": "deposit_return", "return-currency": EUR})
    assert refused.status_code == 400 and "open orders" in refused.content.decode()
    assert held(worker) == D("50.00")


def test_support_sees_deposit_payments_in_the_admin(client):
    card_deposit(low())
    client.force_login(support_user())
    page = client.get(reverse("admin:orders_depositpayment_changelist"))
    assert page.status_code == 200 and "50.00" in page.content.decode()


def test_the_months_statement_shows_the_deposit_put_down_and_returned():
    from orders.statements import statement_for

    worker = low()
    shift_completed(provider=worker, price=D("100.00"))  # 90.00 earned
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        deposits.deposit_pay(user=worker, currency=EUR, amount="40.00")
        deposits.deposit_return(user=worker, currency=EUR)
        deposits.deposit_pay(user=worker, currency=EUR, amount="30.00")
        month = timezone.localdate().replace(day=1)
        lines = [line for c in statement_for(worker, month).currencies for line in c.lines]
        months = {month} | {timezone.localdate(line.at).replace(day=1) for line in lines}
        totals: dict[str, Decimal] = {}
        for m in months:
            for currency in statement_for(worker, m).currencies:
                for code, _label, total in currency.totals:
                    totals[code] = totals.get(code, D("0")) + total
    assert totals["deposit"] == D("-30.00")
    assert totals["earnings"] == D("90.00")


def test_nobody_puts_down_a_deposit_the_rules_do_not_ask_of_them(api_as):
    response = api_as(UserFactory()).post("/api/v1/me/deposits/", {"currency": EUR, "source": "card"}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "deposit_not_asked")
    assert DepositPayment.objects.count() == 0


def test_staff_set_the_deposit_rules_in_the_policy_admin(admin_client):
    from tests.orders.test_admin_policies import change_url, form_data, make_draft

    draft = make_draft(admin_client)
    page = admin_client.get(change_url(draft))
    assert "deposits: required from workers with a credit score under" in page.content.decode().lower()
    data = form_data(page)
    data.update(deposit_below_score="", deposit_above_price="150.00", deposit_amount="75.00")
    assert admin_client.post(change_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.deposit_below_score, draft.deposit_amount) == (None, D("75.00"))
    data.update(deposit_below_score="70")
    admin_client.post(change_url(draft), data)
    draft.refresh_from_db()
    assert draft.deposit_below_score == 70


def test_the_shift_page_says_what_deposit_is_missing_before_booking(client):
    listing = ShiftListingFactory(price=D("150.00"))
    worker = low()
    client.force_login(worker)
    page = client.get(reverse("listing_detail", args=[listing.pk])).content.decode()
    assert "deposit-needed" in page and reverse("wallet") + "#deposit" in page and "50.00" in page
    refused = client.post(reverse("order_create", args=[listing.pk]), {"requirements": ""})
    assert "yours holds 0.00" in refused.content.decode()
    card_deposit(worker)
    assert "deposit-needed" not in client.get(reverse("listing_detail", args=[listing.pk])).content.decode()
    client.force_login(UserFactory())
    assert "deposit-needed" not in client.get(reverse("listing_detail", args=[listing.pk])).content.decode()
