"""Web pages for claims with proof and appeals of penalties: thin, every write goes through
``disputes.services.claims`` and ``disputes.services.appeals``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError, NotFound
from core.timeutils import when_text
from credit.models import CreditEvent
from disputes.selectors.claims import appeal_get_for, claim_get_for
from disputes.services import appeals as appeal_services
from disputes.services import claims as claim_services
from orders.selectors import order_get_for_action

from .claims_forms import ClaimForm, PenaltyAppealForm


@login_required
@require_http_methods(["GET", "POST"])
def claim_file(request: HttpRequest, pk: int) -> HttpResponse:
    """A party cancels with a claim: both outcomes shown before anything happens."""
    try:
        order = order_get_for_action(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None
    preview = claim_services.claim_preview(order=order, user=request.user)
    if preview.code == "not_a_party":  # staff may read any order; only its parties file claims
        raise Http404(_("No such order."))
    form = ClaimForm(request.POST or None, request.FILES or None, kinds=preview.kinds)
    if request.method == "POST" and preview.allowed and form.is_valid():
        try:
            claim = claim_services.claim_file(order=order, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _(
                    "Order #%(order)s is cancelled and the client refunded in full. "
                    "Support decides your claim by %(due)s."
                )
                % {"order": order.pk, "due": when_text(claim.decision_due)},
            )
            return redirect("claim_detail", pk=claim.pk)
    return render(request, "disputes/claims/file.html", {"order": order, "form": form, "preview": preview})


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        claim = claim_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such claim.")) from None
    context = {"claim": claim, "order": claim.order, "held": claim_services.held_of(claim)}
    return render(request, "disputes/claims/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The person a penalty hit appeals it, from their credit page."""
    event = CreditEvent.objects.filter(pk=pk, user=request.user).select_related("order__policy").first()
    if event is None:
        raise Http404(_("No such credit event."))
    verdict = appeal_services.appealability(event=event)
    form = PenaltyAppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and verdict.allowed and form.is_valid():
        try:
            appeal = appeal_services.appeal_file(event_id=event.pk, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("Your appeal is with support, who decide it by %(due)s.") % {"due": when_text(appeal.decision_due)},
            )
            return redirect("appeal_detail", pk=appeal.pk)
    return render(request, "disputes/appeals/file.html", {"event": event, "form": form, "verdict": verdict})


@login_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        appeal = appeal_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such appeal.")) from None
    return render(request, "disputes/appeals/detail.html", {"appeal": appeal, "event": appeal.event})
