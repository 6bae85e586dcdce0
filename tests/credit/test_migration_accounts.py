"""Migration credit 0005: every user made before it gets a credit account at the starting score."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from credit.models import CreditAccount
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("credit", "0004_details_as_msgids")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())


def test_users_without_an_account_get_one_and_existing_accounts_are_kept():
    _migrate(BEFORE)
    without, with_one = UserFactory(), UserFactory()
    CreditAccount.objects.create(user=with_one, score=73)

    _migrate()

    assert CreditAccount.objects.get(user=without).score == 100
    assert CreditAccount.objects.get(user=with_one).score == 73
