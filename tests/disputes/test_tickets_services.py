"""After-sales tickets: filing within the window, edits with versions, agents, each state's cancel rule."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.jobs import sweep_run
from core.models import TransitionLog
from disputes.models import AfterSalesTicket, TicketState, TicketVersion
from disputes.services import tickets as svc
from marketplace.models import Notification
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, ChargeStatus, LedgerTransaction
from tests.factories import UserFactory, order_completed, service_order
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def open_ticket(order=None, *, type="quality_problem", by="client"):
    order = order or order_completed()
    actor = getattr(order, by)
    if by == "provider" and type == "quality_problem":
        type = "unpaid_wages"
    return svc.ticket_open(order=order, actor=actor, type=type, description="The logo is blurry")


def staff():
    return UserFactory(support=True)


def approved(ticket, agent, amount="30.00"):
    svc.ticket_start_review(ticket=ticket, actor=agent)
    return svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal(amount), note="Fair")


def snapshot(ticket):
    ticket.refresh_from_db()
    return (
        ticket.state,
        ticket.cancel_requested_at,
        ticket.cancel_requested_by_id,
        ticket.cancel_reason,
        ticket.compensation_paid_at,
        ticket.version,
        LedgerTransaction.objects.count(),
        TransitionLog.objects.count(),
    )


def ticket_logs(ticket):
    ct = ContentType.objects.get_for_model(AfterSalesTicket)
    return list(TransitionLog.objects.filter(content_type=ct, object_id=ticket.pk).order_by("at", "id"))


# --- Filing ------------------------------------------------------------------------------------


def test_a_party_files_a_ticket_on_a_completed_order_and_version_one_is_kept():
    order = order_completed()

    ticket = svc.ticket_open(order=order, actor=order.client, type="quality_problem", description="Blurry")

    assert ticket.state == TicketState.PENDING_REVIEW
    assert ticket.opened_by_role == "client"
    assert list(TicketVersion.objects.filter(ticket=ticket).values_list("version", "description")) == [(1, "Blurry")]
    assert [log.transition for log in ticket_logs(ticket)] == ["open"]
    assert Notification.objects.filter(user=order.provider, kind="ticket_opened").exists()


def test_a_ticket_can_be_filed_on_the_last_day_of_the_window():
    order = order_completed()

    with time_machine.travel(order.completed_at + timedelta(days=14) - timedelta(minutes=1)):
        ticket = open_ticket(order)

    assert ticket.pk


def test_no_ticket_after_the_window_of_the_policy():
    order = order_completed()

    with time_machine.travel(order.completed_at + timedelta(days=14, minutes=1)), pytest.raises(Conflict) as exc:
        open_ticket(order)

    assert exc.value.code == "after_sales_window_closed"
    assert not AfterSalesTicket.objects.exists()


def test_the_window_comes_from_the_orders_policy():
    order = order_completed()
    order.policy.after_sales_days = 3
    order.policy.save()

    with time_machine.travel(order.completed_at + timedelta(days=4)), pytest.raises(Conflict) as exc:
        open_ticket(order)

    assert exc.value.code == "after_sales_window_closed"


def test_no_ticket_on_an_order_that_is_not_completed():
    order = service_order()

    with pytest.raises(Conflict) as exc:
        svc.ticket_open(order=order, actor=order.client, type="quality_problem", description="x")

    assert exc.value.code == "order_not_completed"
    assert not AfterSalesTicket.objects.exists()


def test_a_stranger_cannot_file_a_ticket():
    order = order_completed()

    with pytest.raises(NotFound):
        svc.ticket_open(order=order, actor=UserFactory(), type="quality_problem", description="x")


def test_unpaid_wages_are_for_the_provider_and_the_other_types_for_the_client():
    order = order_completed()

    with pytest.raises(ValidationFailed) as exc:
        svc.ticket_open(order=order, actor=order.client, type="unpaid_wages", description="x")
    assert "type" in exc.value.errors
    with pytest.raises(ValidationFailed):
        svc.ticket_open(order=order, actor=order.provider, type="partial_refund", description="x")

    assert svc.ticket_open(order=order, actor=order.provider, type="unpaid_wages", description="x").pk


def test_one_live_ticket_per_order_and_party():
    order = order_completed()
    open_ticket(order)

    with pytest.raises(Conflict) as exc:
        open_ticket(order, type="rework")

    assert exc.value.code == "ticket_already_open"
    assert AfterSalesTicket.objects.count() == 1


def test_a_new_ticket_can_be_filed_after_the_first_was_cancelled():
    order = order_completed()
    first = open_ticket(order)
    svc.ticket_cancel(ticket=first, actor=order.client, reason="filed_by_mistake")

    assert open_ticket(order, type="rework").pk != first.pk


# --- Editing -----------------------------------------------------------------------------------


def test_editing_while_pending_review_keeps_every_version():
    ticket = open_ticket()

    svc.ticket_edit(ticket=ticket, actor=ticket.opened_by, description="Blurry and off-centre")
    svc.ticket_edit(ticket=ticket, actor=ticket.opened_by, type="rework")

    ticket.refresh_from_db()
    assert (ticket.version, ticket.type, ticket.description) == (3, "rework", "Blurry and off-centre")
    assert list(ticket.versions.values_list("version", "type", "description")) == [
        (1, "quality_problem", "The logo is blurry"),
        (2, "quality_problem", "Blurry and off-centre"),
        (3, "rework", "Blurry and off-centre"),
    ]


def test_an_edit_under_review_is_refused_and_changes_nothing():
    ticket = open_ticket()
    svc.ticket_start_review(ticket=ticket, actor=staff())
    before = snapshot(ticket)

    with pytest.raises(Conflict) as exc:
        svc.ticket_edit(ticket=ticket, actor=ticket.opened_by, description="Changed")

    assert exc.value.code == "ticket_not_editable"
    assert snapshot(ticket) == before
    assert ticket.versions.count() == 1


def test_only_the_author_edits():
    ticket = open_ticket()

    with pytest.raises(PermissionDenied):
        svc.ticket_edit(ticket=ticket, actor=ticket.order.provider, description="Changed")


# --- Agents ------------------------------------------------------------------------------------


def test_only_staff_review_approve_and_reject():
    ticket = open_ticket()

    with pytest.raises(PermissionDenied):
        svc.ticket_start_review(ticket=ticket, actor=ticket.order.provider)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.PENDING_REVIEW


def test_compensation_is_at_most_the_order_price():
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)

    with pytest.raises(ValidationFailed) as exc:
        svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("120.01"), note="x")

    assert "compensation" in exc.value.errors
    ticket.refresh_from_db()
    assert ticket.state == TicketState.UNDER_REVIEW


def test_the_full_path_pays_the_client_from_the_providers_balance():
    ticket = open_ticket()
    order, agent = ticket.order, staff()
    provider_account = account_for(kind=AccountKind.PROVIDER, currency="EUR", user=order.provider)
    before = account_balance(provider_account)

    approved(ticket, agent)
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    svc.ticket_start_processing(ticket=ticket, actor=agent)
    svc.ticket_resolve(ticket=ticket, actor=agent)
    # Paid out like any refund: by the settlement sweep, after the policy's business days.
    with time_machine.travel(timezone.now() + timedelta(days=7), tick=False):
        sweep_run("orders.settle_refunds")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED and ticket.resolved_at
    assert account_balance(provider_account) == before + Decimal("30.00")  # a liability: less owed
    assert account_balance(account_for(kind=AccountKind.REFUNDS, currency="EUR")) == 0
    kinds = list(order.ledger_transactions.values_list("kind", flat=True))
    assert kinds[-2:] == ["ticket_compensation", "refund_settled"]
    assert ticket.compensation_refund.status == "settled"
    assert_every_transaction_balances()


def test_paying_twice_is_refused():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    before = snapshot(ticket)

    with pytest.raises(Conflict) as exc:
        svc.ticket_pay_compensation(ticket=ticket, actor=agent)

    assert exc.value.code == "compensation_already_paid"
    assert snapshot(ticket) == before


def test_resolving_with_unpaid_compensation_is_refused():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)
    svc.ticket_start_processing(ticket=ticket, actor=agent)

    with pytest.raises(Conflict) as exc:
        svc.ticket_resolve(ticket=ticket, actor=agent)

    assert exc.value.code == "compensation_unpaid"


def test_unpaid_wages_are_charged_to_the_client_and_paid_to_the_provider():
    order = order_completed()
    ticket = open_ticket(order, by="provider")
    agent = staff()
    provider_account = account_for(kind=AccountKind.PROVIDER, currency="EUR", user=order.provider)
    before = account_balance(provider_account)

    approved(ticket, agent, "25.00")
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)

    # the charge is asked for in the ticket's transaction and made outside it
    ticket.refresh_from_db()
    assert ticket.compensation_charge.status == ChargeStatus.PENDING
    assert account_balance(provider_account) == before
    sweep_run("orders.settle_charges")
    assert account_balance(provider_account) == before - Decimal("25.00")  # more owed to the provider
    assert_every_transaction_balances()


def test_reject_closes_the_ticket():
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)

    svc.ticket_reject(ticket=ticket, actor=agent, note="Not a defect")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.REJECTED
    assert Notification.objects.filter(user=ticket.opened_by, kind="ticket_rejected").exists()


# --- Cancelling, state by state ---------------------------------------------------------------


def test_pending_review_cancels_at_once():
    ticket = open_ticket()

    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="resolved_myself", message="Fixed it")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert not ticket.cancel_pending
    assert ticket.cancel_reason == "resolved_myself"
    assert ticket.cancelled_at is not None


def test_under_review_cancels_at_once_and_the_agent_is_told():
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)

    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="agreed_with_other_party")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert Notification.objects.filter(user=agent, kind="ticket_cancelled").exists()
    assert Notification.objects.filter(user=ticket.order.provider, kind="ticket_cancelled").exists()


def test_a_cancel_needs_a_reason_from_the_taxonomy():
    ticket = open_ticket()
    before = snapshot(ticket)

    with pytest.raises(ValidationFailed):
        svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="bored")

    assert snapshot(ticket) == before


def test_only_the_author_or_an_agent_cancels():
    ticket = open_ticket()
    before = snapshot(ticket)

    with pytest.raises(PermissionDenied):
        svc.ticket_cancel(ticket=ticket, actor=ticket.order.provider, reason="other")

    assert snapshot(ticket) == before


def test_approved_waits_for_the_other_party_and_is_then_cancelled_with_the_compensation_reversed():
    ticket = open_ticket()
    order, agent = ticket.order, staff()
    approved(ticket, agent)
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    provider_account = account_for(kind=AccountKind.PROVIDER, currency="EUR", user=order.provider)
    paid_balance = account_balance(provider_account)

    svc.ticket_cancel(ticket=ticket, actor=order.client, reason="agreed_with_other_party", message="Sorted")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.APPROVED and ticket.cancel_pending
    assert Notification.objects.filter(user=order.provider, kind="ticket_cancel_requested").exists()

    svc.ticket_cancel_confirm(ticket=ticket, actor=order.provider)

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED and not ticket.cancel_pending
    assert ticket.cancel_requested_by_id == order.client_id
    assert account_balance(provider_account) == paid_balance - Decimal("30.00")
    assert account_balance(account_for(kind=AccountKind.REFUNDS, currency="EUR")) == 0
    assert order.ledger_transactions.filter(kind="ticket_compensation_reversal").count() == 1
    assert_every_transaction_balances()


def test_approved_can_be_confirmed_by_the_agent():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="circumstances_changed")

    svc.ticket_cancel_confirm(ticket=ticket, actor=agent)

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_the_author_cannot_confirm_their_own_cancellation():
    ticket = open_ticket()
    approved(ticket, staff())
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")
    before = snapshot(ticket)

    with pytest.raises(PermissionDenied):
        svc.ticket_cancel_confirm(ticket=ticket, actor=ticket.opened_by)

    assert snapshot(ticket) == before


def test_an_agent_cancelling_an_approved_ticket_cancels_at_once():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)

    svc.ticket_cancel(ticket=ticket, actor=agent, reason="other", message="Duplicate")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_refusing_a_pending_cancellation_keeps_the_ticket_as_it_was():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")
    ledger_count = LedgerTransaction.objects.count()

    svc.ticket_cancel_refuse(ticket=ticket, actor=ticket.order.provider, message="Keep it")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.APPROVED
    assert not ticket.cancel_pending and ticket.cancel_requested_at is None and ticket.cancel_reason == ""
    assert LedgerTransaction.objects.count() == ledger_count
    assert Notification.objects.filter(user=ticket.opened_by, kind="ticket_cancel_refused").exists()


def test_processing_needs_the_providers_acceptance():
    ticket = open_ticket()
    order, agent = ticket.order, staff()
    approved(ticket, agent)
    svc.ticket_start_processing(ticket=ticket, actor=agent)
    svc.ticket_cancel(ticket=ticket, actor=order.client, reason="resolved_myself")
    before = snapshot(ticket)

    # The agent is not who must accept while work may be under way.
    with pytest.raises(PermissionDenied):
        svc.ticket_cancel_confirm(ticket=ticket, actor=agent)
    assert snapshot(ticket) == before

    svc.ticket_cancel_confirm(ticket=ticket, actor=order.provider)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_an_agent_cancelling_a_ticket_in_processing_still_needs_the_provider():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)
    svc.ticket_start_processing(ticket=ticket, actor=agent)

    svc.ticket_cancel(ticket=ticket, actor=agent, reason="other")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.PROCESSING and ticket.cancel_pending
    assert svc.cancel_confirmers(ticket) == ("provider",)


def test_the_provider_asking_in_processing_needs_the_client_or_the_agent():
    order = order_completed()
    ticket = open_ticket(order, by="provider")
    agent = staff()
    approved(ticket, agent, "20.00")
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    sweep_run("orders.settle_charges")
    svc.ticket_start_processing(ticket=ticket, actor=agent)

    svc.ticket_cancel(ticket=ticket, actor=order.provider, reason="agreed_with_other_party")
    svc.ticket_cancel_confirm(ticket=ticket, actor=order.client)

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    kinds = list(order.ledger_transactions.values_list("kind", flat=True))
    assert kinds[-2:] == ["ticket_compensation", "ticket_compensation_reversal"]
    assert_every_transaction_balances()


def test_agent_actions_wait_while_a_cancellation_is_pending():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")
    before = snapshot(ticket)

    with pytest.raises(Conflict) as exc:
        svc.ticket_start_processing(ticket=ticket, actor=agent)

    assert exc.value.code == "cancel_pending"
    assert snapshot(ticket) == before


def test_resolved_and_rejected_tickets_cannot_be_cancelled():
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_reject(ticket=ticket, actor=agent, note="No")
    before = snapshot(ticket)

    with pytest.raises(Conflict) as exc:
        svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")

    assert exc.value.code == "invalid_transition"
    assert snapshot(ticket) == before


def test_cancelling_twice_is_harmless():
    ticket = open_ticket()
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")
    before = snapshot(ticket)

    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")

    assert snapshot(ticket) == before


def test_every_step_is_logged_with_its_actor():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")
    svc.ticket_cancel_confirm(ticket=ticket, actor=ticket.order.provider)

    logs = ticket_logs(ticket)

    assert [(log.transition, log.to_state, log.actor_role) for log in logs] == [
        ("open", "pending_review", "client"),
        ("start_review", "under_review", "support"),
        ("approve", "approved", "support"),
        ("cancel_request", "approved", "client"),
        ("cancel", "cancelled", "provider"),
    ]


def test_the_window_helper_explains_itself():
    order = service_order()
    window = svc.ticket_window(order=order, user=order.client)
    assert not window.allowed and window.code == "order_not_completed"

    done = order_completed()
    now = timezone.now()
    assert svc.ticket_window(order=done, user=done.client, now=now).allowed
    assert svc.ticket_window(order=done, user=UserFactory(), now=now).code == "not_a_party"
