"""Migrations core 0007 and credit 0004: the system's reasons and details already written, in any
language, become msgids read in each reader's language; what people wrote is left alone."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from core.i18n import STORED
from core.models import TransitionLog
from credit.models import CreditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("core", "0006_idempotency_replays_stored_bytes"), ("credit", "0003_drop_index_covered_by_pair")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())
    return executor


def test_known_reasons_and_details_in_any_language_become_msgids():
    executor = _migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    OldLog, OldEvent = apps.get_model("core", "TransitionLog"), apps.get_model("credit", "CreditEvent")
    ct = ContentType.objects.get_for_model(TransitionLog).pk
    with translation.override("nl"):
        placed_nl, completed_nl = translation.gettext("Order placed"), translation.gettext("Order #%(id)s completed")

    def log(reason):
        return OldLog.objects.create(
            content_type_id=ct,
            object_id=1,
            transition="t",
            from_state="a",
            to_state="b",
            actor_role="system",
            reason=reason,
        ).pk

    english, dutch, person = log("Order placed"), log(placed_nl), log("Please use British spelling")
    user = UserFactory()  # marketplace's table is at its newest

    def event(detail, reason="order_completed"):
        return OldEvent.objects.create(
            user_id=user.pk, delta=1, applied=1, score_after=100, reason=reason, detail=detail
        ).pk

    completed_en, completed_dutch, manual = (
        event("Order #4 completed"),
        event(completed_nl % {"id": 5}),
        event("Order #4 completed, said support", reason="manual"),
    )

    _migrate()

    for pk in (english, dutch):
        assert TransitionLog.objects.get(pk=pk).reason.startswith(STORED)
        with translation.override("en"):
            assert TransitionLog.objects.get(pk=pk).reason_text == "Order placed"
    assert TransitionLog.objects.get(pk=person).reason == "Please use British spelling"
    with translation.override("en"):
        assert CreditEvent.objects.get(pk=completed_en).detail_text == "Order #4 completed"
        assert CreditEvent.objects.get(pk=completed_dutch).detail_text == "Order #5 completed"
    assert CreditEvent.objects.get(pk=manual).detail == "Order #4 completed, said support"
