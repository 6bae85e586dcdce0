"""Migration disputes 0009: tickets filed before it get their service level, rejection time and answer time."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from disputes.models import AfterSalesTicket
from disputes.services import tickets as svc
from tests.disputes.test_tickets_services import approved, open_ticket, staff, ticket_logs

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("disputes", "0008_ticket_compensation_charge")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())


def test_tickets_filed_before_get_what_new_ones_are_given():
    # given tickets of before: one untouched, one rejected, one with a cancellation waiting
    untouched, rejected, waiting = open_ticket(), open_ticket(), open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=rejected, actor=agent)
    svc.ticket_reject(ticket=rejected, actor=agent, note="No")
    approved(waiting, agent)
    svc.ticket_cancel(ticket=waiting, actor=waiting.opened_by, reason="other")
    _migrate(BEFORE)

    # when the migration runs, a day later
    later = timezone.now() + timedelta(days=1)
    with time_machine.travel(later, tick=False):
        _migrate()

    # then each has the service level from its filing, and what its log says
    untouched, rejected, waiting = (AfterSalesTicket.objects.get(pk=t.pk) for t in (untouched, rejected, waiting))
    assert untouched.first_response_due == untouched.created_at + timedelta(hours=24)
    assert untouched.resolution_due == untouched.created_at + timedelta(hours=72)
    assert untouched.first_response_at is None
    review_log, reject_log = ticket_logs(rejected)[1:3]
    assert rejected.first_response_at == review_log.at and rejected.rejected_at == reject_log.at
    assert untouched.rejected_at is None and waiting.rejected_at is None
    # and a cancellation already waiting is given a whole answer time from the migration on
    assert waiting.cancel_respond_by == later + timedelta(hours=48)
    assert untouched.cancel_respond_by is None and rejected.cancel_respond_by is None
