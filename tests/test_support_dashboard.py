"""The back office's front page for support: what waits in each queue, one query per card, every
number a link to the queue it counts; the SLA deadlines of the next hours."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from disputes.models import SupportCase
from disputes.services import claims as claim_svc
from disputes.services.cases import case_assign
from portal.support_dashboard import support_dashboard
from tests.disputes.test_cases_helpers import open_case
from tests.disputes.test_tickets_services import open_ticket
from tests.factories import UserFactory, shift_order, support_user

pytestmark = pytest.mark.django_db


def _claim():
    order = shift_order(starts_in=timedelta(hours=1), price=Decimal("100.00"))
    return claim_svc.claim_file(order=order, actor=order.provider, kind="force_majeure", statement="Ill")


def _line(dashboard, card_title, label):
    card = next(c for c in dashboard.cards if c.title == card_title)
    return next(line for line in card.lines if line.label == label)


def test_the_cards_count_what_waits_and_link_to_the_filtered_queues():
    agent = support_user()
    mine, other, late = open_case(), open_case(), open_case()
    case_assign(case=mine, actor=agent)
    SupportCase.objects.filter(pk=late.pk).update(sla_breached_at=timezone.now())
    open_ticket()
    _claim()

    dashboard = support_dashboard(user=agent, now=timezone.now())

    assert _line(dashboard, "Support cases", "open").count == 3
    assert _line(dashboard, "Support cases", "assigned to me").count == 1
    assert _line(dashboard, "Support cases", "unassigned").count == 2
    unseen = _line(dashboard, "Support cases", "SLA breached, not seen yet")
    assert (unseen.count, unseen.tone) == (1, "alert")
    assert unseen.url == reverse("admin:disputes_supportcase_changelist") + "?sla=unseen"
    breached = _line(dashboard, "Support cases", "SLA breached")
    assert (breached.count, breached.tone) == (1, "")
    assert breached.url == reverse("admin:disputes_supportcase_changelist") + "?sla=breached"
    assert _line(dashboard, "After-sales tickets", "waiting for review").count == 1
    assert _line(dashboard, "Claims with proof", "waiting for a decision").count == 1
    assert _line(dashboard, "Appeals of penalties", "waiting for a decision").count == 0
    assert other.pk not in {item.pk for item in dashboard.due_soon}  # not due within 4 hours


def test_deadlines_within_four_hours_are_listed_soonest_first():
    agent = support_user()
    later, sooner = open_case(), open_case()
    now = timezone.now()
    SupportCase.objects.filter(pk=later.pk).update(ruling_due=now + timedelta(hours=3))
    SupportCase.objects.filter(pk=sooner.pk).update(ruling_due=now + timedelta(hours=1))

    dashboard = support_dashboard(user=agent, now=now)

    assert [item.pk for item in dashboard.due_soon] == [sooner.pk, later.pk]
    assert _line(dashboard, "Support cases", "ruling due within 4 hours").count == 2


def test_the_admin_front_page_shows_it_to_support_in_one_query_per_card(client, django_assert_num_queries):
    agent = support_user()
    open_case()
    client.force_login(agent)
    client.get(reverse("admin:index"))

    # (the session, without Redis), user, the agent's groups (is support?); ten cards, one query
    # each; the deadlines (one union); the agent's saved filters; the agent's user and group
    # permissions (Django's app list); the recent actions
    session = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1
    with django_assert_num_queries(session + 17):
        response = client.get(reverse("admin:index"))

    html = unescape(response.content.decode())
    assert "What waits for support" in html
    for link in (
        reverse("admin:disputes_supportcase_changelist") + "?assignee=mine",
        reverse("admin:orders_messagereport_changelist") + "?status=unresolved",
        reverse("admin:core_webhookdelivery_changelist") + "?status__exact=failed",
    ):
        assert f'href="{link}"' in html
    for link in [line.url for card in response.context["dashboard"].cards for line in card.lines]:
        assert client.get(link).status_code == 200, link  # every number opens its queue


def test_staff_outside_support_see_no_dashboard(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert "What waits for support" not in response.content.decode()


def test_failed_payouts_and_the_last_reconciliations_differences_have_their_cards():
    from orders.models import Payout, PayoutState, ReconciliationRun

    worker = UserFactory()
    Payout.objects.create(user=worker, amount="10.00", currency="EUR", state=PayoutState.FAILED)
    Payout.objects.create(user=worker, amount="10.00", currency="EUR", state=PayoutState.PAID)
    ReconciliationRun.objects.create(checks=5, differences=[{"check": "escrow"}, {"check": "deposits"}])
    ReconciliationRun.objects.create(checks=5, differences=[{"check": "escrow"}])

    dashboard = support_dashboard(user=support_user(), now=timezone.now())

    assert _line(dashboard, "Payouts", "failed at the gateway, to retry").count == 1
    assert _line(dashboard, "Books", "differences in the last reconciliation").count == 1
