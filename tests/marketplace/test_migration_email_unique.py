"""Migration marketplace 0007: shared addresses stay with the oldest account, the rest are verified."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from marketplace.models import User

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("marketplace", "0006_message_thread_to_orders")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())
    return executor


def test_the_oldest_account_keeps_a_shared_address_and_every_other_address_is_verified():
    # given: accounts of before the constraint, three of them sharing an address in different cases
    executor = _migrate(BEFORE)
    OldUser = executor.loader.project_state(BEFORE).apps.get_model("marketplace", "User")
    joined = timezone.now() - timedelta(days=30)

    def old_user(username, email, days_later):
        return OldUser.objects.create(
            username=username, email=email, password="!", date_joined=joined + timedelta(days=days_later)
        ).pk

    newer = old_user("newer", "Ana@Example.com", 2)
    oldest = old_user("oldest", "ana@EXAMPLE.com ", 0)
    newest = old_user("newest", "ANA@example.com", 5)
    alone = old_user("alone", "Bram@Example.NL", 1)
    without = old_user("without", "", 3)

    # when
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        _migrate()

    # then: the oldest keeps it (normalised) and is verified; the others lose it, unverified
    kept = User.objects.get(pk=oldest)
    assert kept.email == "ana@example.com" and kept.email_verified_at == now
    for pk in (newer, newest):
        lost = User.objects.get(pk=pk)
        assert lost.email == "" and lost.email_verified_at is None
    other = User.objects.get(pk=alone)
    assert other.email == "Bram@example.nl" and other.email_verified_at == now
    blank = User.objects.get(pk=without)
    assert blank.email == "" and blank.email_verified_at is None
    assert not User.objects.filter(email_verification_sent_at__isnull=False).exists()
