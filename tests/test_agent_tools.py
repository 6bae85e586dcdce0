"""Support agents' tools in the back office: bulk actions on the queues (assign, take, mark a
breach seen, resolve reports), saved filters per agent, one search over orders, people, cases and
tickets, and the whole history of one person on one page."""

from __future__ import annotations

from html import unescape

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from core.models import TransitionLog
from credit.services import credit_event_record
from disputes.models import AfterSalesTicket, CaseState, SupportCase, TicketState
from disputes.services.cases import case_assign
from marketplace import services as marketplace_services
from marketplace.models import BlockReason
from orders import threads
from orders.models import MessageReport
from portal.models import SavedFilter
from portal.support_dashboard import support_dashboard
from tests.disputes.test_cases_helpers import open_case
from tests.disputes.test_tickets_services import open_ticket
from tests.factories import UserFactory, order_cancelled, service_order, shift_cancelled_late, support_user

pytestmark = pytest.mark.django_db

CASES = reverse("admin:disputes_supportcase_changelist")
TICKETS = reverse("admin:disputes_aftersalesticket_changelist")
REPORTS = reverse("admin:orders_messagereport_changelist")
SEARCH = reverse("admin:back_office_search")
SESSION = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


@pytest.fixture
def agent(client):
    user = support_user(username="eva")
    client.force_login(user)
    return user


def _act(client, url, action, objs, **extra):
    data = {"action": action, "_selected_action": [obj.pk for obj in objs], **extra}
    return client.post(url, data, follow=True)


def _messages(response) -> list[str]:
    return [unescape(str(m)) for m in response.context["messages"]]


# --- bulk actions ---------------------------------------------------------------------------------


def test_assigning_many_cases_to_another_agent_asks_whom_then_assigns_each_and_logs_it(client, agent):
    other = support_user(username="omar")
    first, second = open_case(), open_case()

    form = _act(client, CASES, "assign_to", [first, second])

    assert form.status_code == 200
    page = form.content.decode()
    assert "Assign cases to an agent" in page
    assert str(first) in unescape(page) and str(second) in unescape(page)
    assert SupportCase.objects.filter(assignee__isnull=False).count() == 0  # nothing yet

    done = _act(client, CASES, "assign_to", [first, second], apply="1", assignee=other.pk)

    assert "2 cases assigned." in _messages(done)
    assert set(SupportCase.objects.values_list("assignee__username", flat=True)) == {"omar"}
    logs = TransitionLog.objects.filter(transition="assign", object_id__in=[first.pk, second.pk])
    assert {log.actor_id for log in logs} == {agent.pk}


def test_assigning_to_someone_who_is_not_support_is_a_form_error_and_changes_nothing(client, agent):
    outsider = UserFactory()
    case = open_case()

    response = _act(client, CASES, "assign_to", [case], apply="1", assignee=outsider.pk)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert SupportCase.objects.get(pk=case.pk).assignee_id is None


def test_taking_many_cases_says_which_were_refused_and_why(client, agent):
    open_one, closed = open_case(), open_case()
    SupportCase.objects.filter(pk=closed.pk).update(state=CaseState.CLOSED)

    response = _act(client, CASES, "assign_to_me", [open_one, closed])

    said = " ".join(_messages(response))
    assert "1 assigned to you." in said
    assert f"1 not done: #{closed.pk}: This case is closed." in said
    assert SupportCase.objects.get(pk=open_one.pk).assignee == agent
    assert SupportCase.objects.get(pk=closed.pk).assignee_id is None


def test_taking_many_tickets_starts_their_review(client, agent):
    first, second = open_ticket(), open_ticket()

    response = _act(client, TICKETS, "take_for_review", [first, second])

    assert "2 assigned to you." in _messages(response)
    assert set(AfterSalesTicket.objects.values_list("state", "assignee")) == {(TicketState.UNDER_REVIEW, agent.pk)}


def test_marking_breaches_seen_keeps_the_flag_clears_the_alert_and_logs_who(client, agent):
    late, later, fine = open_case(), open_case(), open_case()
    breached_at = timezone.now()
    SupportCase.objects.filter(pk__in=[late.pk, later.pk]).update(sla_breached_at=breached_at)
    unseen = CASES + "?sla=unseen"
    assert client.get(unseen).context["cl"].result_count == 2

    response = _act(client, CASES, "mark_sla_seen", [late, later, fine])

    assert "2 breaches marked as seen." in _messages(response)
    assert client.get(unseen).context["cl"].result_count == 0
    assert client.get(CASES + "?sla=breached").context["cl"].result_count == 2  # still on record
    seen = SupportCase.objects.get(pk=late.pk)
    assert (seen.sla_breached_at, seen.sla_seen_by) == (breached_at, agent)
    assert SupportCase.objects.get(pk=fine.pk).sla_seen_at is None
    assert TransitionLog.objects.filter(transition="sla_breach_seen").count() == 2
    card = next(c for c in support_dashboard(user=agent, now=timezone.now()).cards if c.title == "Support cases")
    assert {line.label: line.count for line in card.lines}["SLA breached, not seen yet"] == 0

    again = _act(client, CASES, "mark_sla_seen", [late])
    assert "None of them had a breach not seen yet." in _messages(again)


def test_resolving_reports_together_needs_a_note_and_tells_each_reporter(client, agent):
    order = service_order()
    reports = [
        threads.message_report_create(
            message=threads.message_post(order=order, author=order.provider, body=f"Pay me outside {n}"),
            reporter=order.client,
            reason="off_platform_payment",
        )
        for n in range(3)
    ]

    empty = _act(client, REPORTS, "resolve_selected", reports, apply="1", note="  ")
    assert empty.status_code == 200 and "Resolve reported messages" in empty.content.decode()
    assert MessageReport.objects.filter(resolved_at__isnull=False).count() == 0

    done = _act(client, REPORTS, "resolve_selected", reports, apply="1", note="Warned the provider.")

    assert "3 reports resolved." in _messages(done)
    assert set(MessageReport.objects.values_list("resolution_note", "resolved_by")) == {
        ("Warned the provider.", agent.pk)
    }


def test_a_staff_member_outside_support_has_no_bulk_actions(client):
    plain = UserFactory(is_staff=True)
    plain.user_permissions.add(*_perms("view_supportcase"))
    client.force_login(plain)
    open_case()

    response = client.get(CASES)

    assert response.status_code == 200
    assert "assign_to" not in response.content.decode()


def _perms(*codenames):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(codename__in=codenames)


# --- saved filters --------------------------------------------------------------------------------


def test_an_agent_saves_a_filter_finds_it_on_the_list_and_the_dashboard_and_deletes_it(client, agent):
    open_case()
    query = "sla=unseen&assignee=mine&p=2"

    saved = client.post(
        reverse("admin:saved_filter_save"), {"name": "My late cases", "path": CASES, "query": query}, follow=True
    )

    assert saved.redirect_chain[-1][0] == CASES + "?sla=unseen&assignee=mine"  # the page number is not kept
    assert "Saved as “My late cases”." in _messages(saved)
    page = client.get(CASES).content.decode()
    assert 'href="/admin/disputes/supportcase/?sla=unseen&amp;assignee=mine">My late cases</a>' in page
    assert "My late cases" in client.get(reverse("admin:index")).content.decode()
    assert "My late cases" not in client.get(TICKETS).content.decode()  # another list's bar

    # the same name on the same list replaces it
    client.post(reverse("admin:saved_filter_save"), {"name": "My late cases", "path": CASES, "query": "sla=breached"})
    assert list(SavedFilter.objects.values_list("name", "query")) == [("My late cases", "sla=breached")]

    mine = SavedFilter.objects.get()
    gone = client.post(reverse("admin:saved_filter_delete", args=[mine.pk]), {"next": CASES}, follow=True)
    assert gone.redirect_chain[-1][0] == CASES
    assert not SavedFilter.objects.exists()


def test_saved_filters_are_each_agents_own(client, agent):
    theirs = SavedFilter.objects.create(user=support_user(), name="Theirs", path=CASES, query="sla=breached")

    assert "Theirs" not in client.get(CASES).content.decode()
    response = client.post(reverse("admin:saved_filter_delete", args=[theirs.pk]), follow=True)
    assert "No such saved filter." in _messages(response)
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize(
    ("data", "why"),
    [
        ({"name": "", "path": CASES, "query": "sla=breached"}, "Name the filter."),
        ({"name": "x" * 81, "path": CASES, "query": "sla=breached"}, "At most 80 characters."),
        ({"name": "Away", "path": "/dashboard/", "query": "x=1"}, "Filters are saved from a list of the back office."),
        ({"name": "Home", "path": reverse("admin:index"), "query": "x=1"}, "Filters are saved from a list"),
    ],
)
def test_a_filter_that_cannot_be_saved_says_why_and_saves_nothing(client, agent, data, why):
    response = client.post(reverse("admin:saved_filter_save"), data, follow=True)

    assert response.status_code == 200
    assert any(why in message for message in _messages(response))
    assert not SavedFilter.objects.exists()


def test_saving_a_filter_is_a_post(client, agent):
    assert client.get(reverse("admin:saved_filter_save")).status_code == 405


# --- one search -----------------------------------------------------------------------------------


def test_one_search_finds_orders_people_cases_and_tickets_by_number_name_or_email(client, agent):
    client_user = UserFactory(username="marta", email="marta@studio.example", display_name="Marta Rossi")
    case = open_case()
    order = case.order
    ticket = open_ticket()

    by_number = client.get(SEARCH, {"q": f"#{order.pk}"})
    results = by_number.context["results"]
    assert [o.pk for o in results.orders] == [order.pk]
    assert [c.pk for c in results.cases] == [case.pk]

    by_ticket = client.get(SEARCH, {"q": str(ticket.pk)}).context["results"]
    assert ticket.pk in [t.pk for t in by_ticket.tickets]

    by_mail = client.get(SEARCH, {"q": "STUDIO.example"}).context["results"]
    assert [u.pk for u in by_mail.users] == [client_user.pk]
    by_name = client.get(SEARCH, {"q": "rossi"})
    assert [u.pk for u in by_name.context["results"].users] == [client_user.pk]
    assert reverse("admin:user_history", args=[client_user.pk]) in by_name.content.decode()

    by_party = client.get(SEARCH, {"q": order.client.username}).context["results"]
    assert order.pk in [o.pk for o in by_party.orders]
    assert case.pk in [c.pk for c in by_party.cases]


def test_a_search_that_finds_nothing_says_so(client, agent):
    response = client.get(SEARCH, {"q": "nobody-at-all"})

    assert "Nothing matches “nobody-at-all”." in unescape(response.content.decode())


def test_the_search_box_is_in_every_back_office_page_for_support(client, agent):
    assert 'action="/admin/search/"' in client.get(CASES).content.decode()


def test_the_search_takes_one_query_per_list(client, agent, django_assert_num_queries):
    open_case()
    client.get(SEARCH, {"q": "x"})
    # (the session, without Redis), user, groups (is support?); the four lists; the agent's user
    # and group permissions (the admin's menu)
    with django_assert_num_queries(SESSION + 2 + 4 + 2):
        client.get(SEARCH, {"q": "user"})


# --- one person's whole history -------------------------------------------------------------------


def test_the_whole_history_of_one_person_on_one_page(client, agent):
    cancelled = shift_cancelled_late()
    person = cancelled.provider
    case = open_case()  # someone else's
    credit_event_record(user=person, delta=-5, reason="manual", detail="Rude messages")
    other = UserFactory(username="blocked-one")
    marketplace_services.block_create(blocker=person, blocked=other, reason=BlockReason.values[0])

    response = client.get(reverse("admin:user_history", args=[person.pk]))

    assert response.status_code == 200
    history = response.context["history"]
    assert [o.pk for o in history.section("orders").rows] == [cancelled.pk]
    assert [c.order_id for c in history.section("cancellations").rows] == [cancelled.pk]
    assert "Rude messages" in [e.detail_text for e in history.section("credit_events").rows]
    assert [b.blocked_id for b in history.section("blocks").rows] == [other.pk]
    assert history.section("cases").rows == []
    assert case.order_id not in [o.pk for o in history.section("orders").rows]
    page = unescape(response.content.decode())
    assert "Whole history" in page and "Rude messages" in page


def test_the_history_page_has_one_query_per_list(client, agent, django_assert_num_queries):
    person = UserFactory()
    for _n in range(3):
        order_cancelled(order=service_order(client=person))
    url = reverse("admin:user_history", args=[person.pk])
    client.get(url)

    # (the session), user, groups (is support?), the agent's user and group permissions (may view
    # people? then the admin's menu), the person, the eleven lists, the credit account
    with django_assert_num_queries(SESSION + 2 + 2 + 1 + 11 + 1):
        response = client.get(url)
    assert len(response.context["history"].section("orders").rows) == 3


def test_the_account_page_links_to_the_whole_history(client, agent):
    from tests.factories import _group

    agent.groups.add(_group("support"))
    person = UserFactory()
    page = client.get(reverse("admin:marketplace_user_change", args=[person.pk])).content.decode()
    assert reverse("admin:user_history", args=[person.pk]) in page


def test_search_and_history_are_for_support_only(client):
    client.force_login(UserFactory(is_staff=True))
    person = UserFactory()

    assert client.get(SEARCH, {"q": "x"}).status_code == 403
    assert client.get(reverse("admin:user_history", args=[person.pk])).status_code == 403


def test_assigning_on_the_history_of_a_stranger_is_404(client, agent):
    assert client.get(reverse("admin:user_history", args=[987654])).status_code == 404


def test_assigned_cases_show_on_the_dashboard(agent):
    case = open_case()
    case_assign(case=case, actor=agent)
    card = next(c for c in support_dashboard(user=agent, now=timezone.now()).cards if c.title == "Support cases")
    assert {line.label: line.count for line in card.lines}["assigned to me"] == 1
