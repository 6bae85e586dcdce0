"""The back office reads like words: states in titles, file sizes, one label per field."""

from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from tests.disputes.test_cases_helpers import open_case, png
from tests.disputes.test_tickets_services import open_ticket

pytestmark = pytest.mark.django_db


def test_titles_name_the_state_in_words():
    ticket, case = open_ticket(), open_case()

    with translation.override("en"):
        assert str(ticket) == f"Ticket #{ticket.pk} on order #{ticket.order_id} (pending review)"
        assert str(case) == f"Case #{case.pk} on order #{case.order_id} (open)"
    with translation.override("nl"):
        assert "pending_review" not in str(ticket)


def test_the_ticket_page_labels_each_field_once_and_sizes_files_in_words(admin_client):
    from disputes.services.tickets.filing import ticket_add_evidence

    ticket = open_ticket()
    ticket_add_evidence(ticket=ticket, actor=ticket.order.client, file=png(), description="The stain")

    html = unescape(
        admin_client.get(reverse("admin:disputes_aftersalesticket_change", args=[ticket.pk])).content.decode()
    )

    assert html.count(">Opened by:<") + html.count(">Opened by<") <= 1
    assert "Opened as" in html
    assert "bytes" in html  # a tiny file, in words
