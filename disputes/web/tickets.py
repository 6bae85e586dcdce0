"""Web pages for after-sales tickets: thin, every write goes through disputes.services.tickets."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, NotFound
from core.forms import GigfairForm
from core.web import paginate
from disputes.models import AfterSalesTicket, TicketState
from disputes.selectors.tickets import ticket_get, ticket_list_for, ticket_list_for_order
from disputes.services import tickets as services
from orders.models import Order
from orders.selectors import order_get_for_action

from .tickets_forms import (
    CancelAnswerForm,
    EscalateForm,
    EvidenceForm,
    TicketCancelForm,
    TicketCreateForm,
    TicketForm,
)

TICKETS_PER_PAGE = 20

# The ticket's log, in words (the transition names are the services' own).
TRANSITION_LABELS = {
    "open": gettext_lazy("filed"),
    "start_review": gettext_lazy("review started"),
    "approve": gettext_lazy("approved"),
    "reject": gettext_lazy("rejected"),
    "pay_compensation": gettext_lazy("compensation paid"),
    "start_processing": gettext_lazy("processing started"),
    "resolve": gettext_lazy("resolved"),
    "cancel_request": gettext_lazy("cancellation asked for"),
    "cancel_refuse": gettext_lazy("cancellation refused"),
    "cancel_withdraw": gettext_lazy("cancellation withdrawn"),
    "cancel": gettext_lazy("cancelled"),
    "cancel_auto_confirm": gettext_lazy("cancelled: nobody answered in time"),
    "cancel_hand_over": gettext_lazy("cancellation handed to support: nobody answered in time"),
    "escalate": gettext_lazy("taken to a support case"),
    "flag_sla_breach": gettext_lazy("support's service level missed"),
}


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        return order_get_for_action(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None


def _ticket_or_404(request: HttpRequest, pk: int) -> AfterSalesTicket:
    try:
        return ticket_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such ticket.")) from None


# --- The order page's panel and "My tickets" ---------------------------------------------------


def order_tickets_context(request: HttpRequest, order: Order) -> dict:
    """What the order page's after-sales panel shows: the tickets, and whether (or why not) to file one."""
    window = services.ticket_window(order=order, user=request.user)
    tickets = ticket_list_for_order(order=order)
    already_open = any(t.opened_by_id == request.user.pk and t.state in services.LIVE_STATES for t in tickets)
    return {
        "order": order,
        "order_tickets": tickets,
        "ticket_window": window,
        "ticket_already_open": already_open,
        "ticket_panel_loaded": True,
    }


@login_required
def order_tickets_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The after-sales panel of an order page, with its window worked out (loaded by htmx)."""
    order = _order_or_404(request, pk)
    return render(request, "disputes/_order_tickets.html", order_tickets_context(request, order))


@login_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or None
    if state not in TicketState.values:
        state = None
    page = paginate(request, ticket_list_for(user=request.user, state=state), per_page=TICKETS_PER_PAGE)
    return render(request, "disputes/tickets/list.html", {"page": page, "state": state, "states": TicketState.choices})


# --- Filing ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    role = order.role_of(request.user)
    if role is None:  # staff see orders, but only a party files a ticket
        raise Http404(_("No such order."))
    window = services.ticket_window(order=order, user=request.user)
    types = services.ticket_types_for(role)
    form = TicketCreateForm(request.POST or None, request.FILES or None, types=types)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.ticket_open(
                    order=order,
                    actor=request.user,
                    type=data["type"],
                    description=data["description"],
                    files=data["files"],
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
                status = exc.status if exc.status in (409, 413, 415) else 400
            else:
                messages.success(request, _("Ticket filed: support will review it."))
                return redirect("ticket_detail", pk=ticket.pk)
        else:
            status = 400
    context = {"order": order, "role": role, "form": form, "window": window}
    return render(request, "disputes/tickets/create.html", context, status=status)


# --- One ticket --------------------------------------------------------------------------------


def _ticket_page(
    request: HttpRequest, ticket: AfterSalesTicket, *, bound: tuple[str, GigfairForm] | None = None, status=200
) -> HttpResponse:
    user = request.user
    role = services.ticket_role(ticket, user)
    forms: dict[str, GigfairForm] = {}
    if ticket.state == TicketState.PENDING_REVIEW and ticket.opened_by_id == user.pk:
        forms["edit"] = TicketForm(
            initial={"type": ticket.type, "description": ticket.description},
            types=services.ticket_types_for(role),
            prefix="edit",
        )
    if ticket.state in services.LIVE_STATES:
        forms["evidence"] = EvidenceForm(prefix="evidence")
    if services.can_cancel(ticket, user):
        forms["cancel"] = TicketCancelForm(prefix="cancel")
    if services.can_confirm_cancel(ticket, user):
        forms["answer"] = CancelAnswerForm(prefix="answer")
    if services.can_withdraw_cancel(ticket, user):
        forms["withdraw"] = CancelAnswerForm(prefix="withdraw")
    if services.can_escalate(ticket, user):
        forms["escalate"] = EscalateForm(prefix="escalate")
    if bound is not None:
        name, form = bound
        if name in forms:
            forms[name] = form
        else:  # the form is no longer on the page (the ticket moved on): say why at the top
            for errors in form.errors.values():
                for message in errors:
                    messages.error(request, message)
    for log in ticket.log:
        log.label = TRANSITION_LABELS.get(log.transition, log.transition)
    context = {
        "ticket": ticket,
        "order": ticket.order,
        "role": role,
        "forms": forms,
        "confirm_needed": services.cancel_needs_confirmation(ticket, role) if "cancel" in forms else (),
        "waiting_for": services.cancel_confirmers(ticket),
        "silence_confirms": services.silence_confirms(ticket),
        "compensation_to": services.compensation_recipient(ticket),
        "escalate_until": services.escalate_until(ticket),
        "escalated_case": services.escalated_case(ticket),
    }
    return render(request, "disputes/tickets/detail.html", context, status=status)


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _ticket_page(request, _ticket_or_404(request, pk))


def _run(request: HttpRequest, pk: int, name: str, form: GigfairForm, action, done: str) -> HttpResponse:
    """Validate ``form``, run ``action(ticket, cleaned_data)``; on a refusal show the page with the errors."""
    ticket = _ticket_or_404(request, pk)
    status = 400
    if form.is_valid():
        try:
            action(ticket, form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
            status = exc.status if exc.status in (403, 409, 413, 415) else 400
        else:
            if done:
                messages.success(request, done)
            return redirect("ticket_detail", pk=pk)
    return _ticket_page(request, _ticket_or_404(request, pk), bound=(name, form), status=status)


@login_required
@require_POST
def ticket_edit(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(request, pk)
    form = TicketForm(
        request.POST, types=services.ticket_types_for(services.ticket_role(ticket, request.user)), prefix="edit"
    )
    return _run(
        request,
        pk,
        "edit",
        form,
        lambda t, data: services.ticket_edit(ticket=t, actor=request.user, **data),
        _("Ticket updated; the earlier version is kept."),
    )


@login_required
@require_POST
def ticket_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    form = EvidenceForm(request.POST, request.FILES, prefix="evidence")
    return _run(
        request,
        pk,
        "evidence",
        form,
        lambda t, data: services.ticket_add_evidence(ticket=t, actor=request.user, **data),
        _("Evidence added."),
    )


@login_required
@require_POST
def ticket_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    form = TicketCancelForm(request.POST, prefix="cancel")

    def cancel(ticket: AfterSalesTicket, data: dict) -> None:
        ticket = services.ticket_cancel(ticket=ticket, actor=request.user, **data)
        # Said from what is now stored: cancelled, or waiting for someone's confirmation.
        if ticket.state == TicketState.CANCELLED:
            messages.success(request, _("The ticket is cancelled."))
        else:
            messages.info(request, _("Cancellation asked for: it happens once it is confirmed."))

    return _run(request, pk, "cancel", form, cancel, "")


@login_required
@require_POST
def ticket_cancel_answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    if answer not in ("confirm", "refuse"):
        raise Http404(_("No such action."))
    form = CancelAnswerForm(request.POST, prefix="answer")
    if answer == "confirm":
        return _run(
            request,
            pk,
            "answer",
            form,
            lambda t, data: services.ticket_cancel_confirm(ticket=t, actor=request.user, **data),
            _("Cancellation confirmed: the ticket is cancelled."),
        )
    return _run(
        request,
        pk,
        "answer",
        form,
        lambda t, data: services.ticket_cancel_refuse(ticket=t, actor=request.user, **data),
        _("Cancellation refused: the ticket goes on."),
    )


@login_required
@require_POST
def ticket_cancel_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    form = CancelAnswerForm(request.POST, prefix="withdraw")
    return _run(
        request,
        pk,
        "withdraw",
        form,
        lambda t, data: services.ticket_cancel_withdraw(ticket=t, actor=request.user, **data),
        _("Cancellation withdrawn: the ticket goes on."),
    )


@login_required
@require_POST
def ticket_escalate(request: HttpRequest, pk: int) -> HttpResponse:
    """Who filed a rejected ticket takes it to a support case; on to the case's page."""
    ticket = _ticket_or_404(request, pk)
    form = EscalateForm(request.POST, prefix="escalate")
    status = 400
    if form.is_valid():
        try:
            case = services.ticket_escalate(ticket=ticket, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
            status = exc.status if exc.status in (403, 409) else 400
        else:
            messages.success(request, _("Support case opened: support looks at the ticket again."))
            return redirect("case_detail", pk=case.pk)
    return _ticket_page(request, _ticket_or_404(request, pk), bound=("escalate", form), status=status)
