"""Migrations orders 0019 and disputes 0011: files stored before under their uploader's name get a
random one; rows keep working, shared files stay shared, a missing file leaves its row alone."""

from __future__ import annotations

import posixpath
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from disputes.models import Evidence
from disputes.services.tickets import ticket_escalate, ticket_reject, ticket_start_review
from orders.models import Delivery, DeliveryFile
from tests.disputes.test_tickets_services import open_ticket, staff
from tests.factories import order_delivered
from tests.marketplace.helpers import PDF, PNG

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("orders", "0018_policy_client_side_cancel_reasons"), ("disputes", "0010_ticket_windows_sla_escalation")]
RANDOM = re.compile(r"[0-9a-f]{32}\.\w+")
HTML = b"<script>alert(1)</script>\n"


def _migrate(targets=None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())


def _legacy(path: str, content: bytes) -> str:
    """A file stored the way the code before the migrations stored it: under the uploader's name."""
    default_storage.delete(path)
    return default_storage.save(path, ContentFile(content))


def test_delivered_files_stored_under_their_own_names_get_random_ones():
    # given, before the migration, a delivered HTML page and PDF under their uploaders' names,
    # one already random, and one whose file is gone (the order made with today's models, on
    # today's tables, then the migrations rolled back to before)
    delivery = Delivery.objects.get(order=order_delivered())
    _migrate(BEFORE)
    page = DeliveryFile.objects.create(
        delivery=delivery,
        file=_legacy("deliveries/2025/04/page.html", HTML),
        name="page.html",
        content_type="text/plain",
        size=len(HTML),
    )
    invoice = DeliveryFile.objects.create(
        delivery=delivery,
        file=_legacy("deliveries/2025/04/invoice.pdf", PDF),
        name="invoice.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    random = _legacy(f"deliveries/2025/05/{'a' * 32}.png", PNG)
    already = DeliveryFile.objects.create(
        delivery=delivery, file=random, name="logo.png", content_type="image/png", size=len(PNG)
    )
    gone = DeliveryFile.objects.create(
        delivery=delivery, file="deliveries/2025/04/lost.txt", name="lost.txt", content_type="text/plain", size=3
    )

    # when the migrations run
    _migrate()

    # then each stored file has a random name in its folder, with its checked type's extension
    page.refresh_from_db()
    invoice.refresh_from_db()
    assert posixpath.dirname(page.file.name) == "deliveries/2025/04"
    assert RANDOM.fullmatch(posixpath.basename(page.file.name)) and page.file.name.endswith(".txt")
    assert RANDOM.fullmatch(posixpath.basename(invoice.file.name)) and invoice.file.name.endswith(".pdf")
    # and the content and the name shown are those of before
    assert default_storage.open(page.file.name).read() == HTML and page.name == "page.html"
    assert default_storage.open(invoice.file.name).read() == PDF
    # and the old paths are gone
    assert not default_storage.exists("deliveries/2025/04/page.html")
    assert not default_storage.exists("deliveries/2025/04/invoice.pdf")
    # and a name already random, or a missing file, is left as it was
    assert DeliveryFile.objects.get(pk=already.pk).file.name == random
    assert DeliveryFile.objects.get(pk=gone.pk).file.name == "deliveries/2025/04/lost.txt"


def test_evidence_shared_by_a_ticket_and_its_case_moves_once_for_both():
    # given ticket evidence under its uploader's name, shared by the case the ticket was taken to
    # (made with today's models, on today's tables), and the migrations rolled back to before
    ticket = open_ticket()
    legacy = _legacy("evidence/2025/04/receipt scan.pdf", PDF)
    Evidence.objects.create(
        ticket=ticket,
        uploaded_by=ticket.opened_by,
        file=legacy,
        name="receipt scan.pdf",
        content_type="application/pdf",
        size=len(PDF),
    )
    agent = staff()
    ticket_start_review(ticket=ticket, actor=agent)
    ticket_reject(ticket=ticket, actor=agent, note="No")
    case = ticket_escalate(ticket=ticket, actor=ticket.opened_by)
    assert set(Evidence.objects.values_list("file", flat=True)) == {legacy}
    _migrate(BEFORE)

    # when the migrations run
    _migrate()

    # then both rows point at one new, random file with the same content
    on_ticket = Evidence.objects.get(ticket=ticket)
    on_case = Evidence.objects.get(case=case)
    assert on_ticket.file.name == on_case.file.name
    assert RANDOM.fullmatch(posixpath.basename(on_case.file.name))
    assert default_storage.open(on_case.file.name).read() == PDF
    assert not default_storage.exists(legacy)
