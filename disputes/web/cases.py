"""Web pages for support cases: open one from the order page, read and add to it, appeal, list mine.

Thin: each view validates a form, calls one service or selector, and renders the result.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, NotFound
from core.web import paginate
from disputes.models import CaseState, SupportCase
from disputes.selectors.cases import (
    case_get_for,
    case_history,
    case_list_for,
    case_order_history,
    case_order_messages,
    case_ticket_history,
    declined_requests_to_escalate,
)
from disputes.services import cases as services
from orders.models import Fault
from orders.selectors import order_get_for_action

from .cases_forms import AppealForm, CaseOpenForm, EvidenceForm, StatementForm
from .tickets import TRANSITION_LABELS as TICKET_TRANSITION_LABELS

CASES_PER_PAGE = 20

TRANSITION_LABELS = {
    "open": gettext_lazy("Opened"),
    "assign": gettext_lazy("An agent took the case"),
    "ask_for_info": gettext_lazy("Support asked for information"),
    "info_received": gettext_lazy("Information sent"),
    "info_expired": gettext_lazy("No answer in time"),
    "flag_sla_breach": gettext_lazy("Escalated to a supervisor"),
    "rule": gettext_lazy("Ruled"),
    "file_appeal": gettext_lazy("Appealed"),
    "rule_appeal": gettext_lazy("Appeal decided"),
    "close": gettext_lazy("Closed"),
}


def _case_or_404(request: HttpRequest, pk: int) -> SupportCase:
    try:
        return case_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such case.")) from None


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """The support cases on the user's orders, newest first."""
    page = paginate(request, case_list_for(user=request.user), per_page=CASES_PER_PAGE)
    return render(request, "disputes/cases/case_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def case_open(request: HttpRequest, pk: int) -> HttpResponse:
    """A party of the order opens a support case."""
    try:
        order = order_get_for_action(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None
    if order.role_of(request.user) is None:  # staff may read any order; only its parties open cases
        raise Http404(_("No such order."))
    declined = list(declined_requests_to_escalate(order=order))
    form = CaseOpenForm(request.POST or None, declined_requests=declined)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_open(
                order=order,
                actor=request.user,
                category=data["category"],
                statement=data["statement"],
                desired_outcome=data["desired_outcome"],
                escalated_from=data.get("escalated_from"),
            )
        except ApplicationError as exc:
            if exc.code == "case_already_open":
                messages.info(request, exc.message)
                return redirect("case_detail", pk=exc.extra["case"])
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Case #%(id)s is open: support answers by %(due)s.")
                % {"id": case.pk, "due": case.first_response_due.strftime("%Y-%m-%d %H:%M")},
            )
            return redirect("case_detail", pk=case.pk)
    return render(request, "disputes/cases/case_open.html", {"order": order, "form": form, "declined": declined})


def _case_page(request: HttpRequest, case: SupportCase, **forms) -> HttpResponse:
    role = case.order.role_of(request.user)
    is_party = role is not None
    history = list(case_history(case))
    for log in history:
        log.label = TRANSITION_LABELS.get(log.transition, log.transition)
    ticket_history = case_ticket_history(case)
    for log in ticket_history:
        log.label = TICKET_TRANSITION_LABELS.get(log.transition, log.transition)
    context = {
        "case": case,
        "order": case.order,
        "role": role,
        "statements": list(case.statements.all()),
        "evidence": list(case.evidence.all()),
        "order_messages": case_order_messages(case),
        "order_history": list(case_order_history(case)),
        "history": history,
        "ticket_history": ticket_history,
        "fault_label": Fault(case.fault).label if case.fault in Fault.values else "",
        "can_add": is_party and case.state != CaseState.CLOSED,
        "can_appeal": is_party
        and case.state == CaseState.RULED
        and case.appealed_at is None
        and timezone.now() < case.appeal_until,
        "asked_me": case.state == CaseState.AWAITING_INFO and case.info_requested_from_id == request.user.pk,
        "statement_form": forms.get("statement_form") or StatementForm(prefix="statement"),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(prefix="evidence"),
        "appeal_form": forms.get("appeal_form") or AppealForm(prefix="appeal"),
    }
    status = 400 if any(f.errors for f in forms.values()) else 200
    return render(request, "disputes/cases/case_detail.html", context, status=status)


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _case_page(request, _case_or_404(request, pk))


@login_required
@require_POST
def case_statement(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = StatementForm(request.POST, prefix="statement")
    if form.is_valid():
        try:
            services.case_add_statement(case=case, actor=request.user, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your statement is added; the other party and support can read it."))
            return redirect("case_detail", pk=case.pk)
    return _case_page(request, _case_or_404(request, pk), statement_form=form)


@login_required
@require_POST
def case_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = EvidenceForm(request.POST, request.FILES, prefix="evidence")
    if form.is_valid():
        try:
            services.case_add_evidence(
                case=case,
                actor=request.user,
                file=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The file is added to the case."))
            return redirect("case_detail", pk=case.pk)
    return _case_page(request, _case_or_404(request, pk), evidence_form=form)


@login_required
@require_POST
def case_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = AppealForm(request.POST, prefix="appeal")
    if form.is_valid():
        try:
            services.case_appeal(case=case, actor=request.user, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your appeal is filed; a supervisor decides."))
            return redirect("case_detail", pk=case.pk)
    return _case_page(request, _case_or_404(request, pk), appeal_form=form)
