"""Web pages of shift handovers: one handover's page (to take it over, or withdraw it), and its actions.

The offer itself is an action of the order page (``orders.views.ACTIONS["handover"]``).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, NotFound

from . import handovers
from .models import Handover


def _handover_or_404(request: HttpRequest, pk: int) -> Handover:
    try:
        return handovers.handover_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such handover.")) from None


@login_required
def handover_detail(request: HttpRequest, pk: int) -> HttpResponse:
    handover = _handover_or_404(request, pk)
    order = handover.order
    context = {
        "handover": handover,
        "order": order,
        "actions": handovers.handover_actions_for(handover, request.user),
        "is_party": order.role_of(request.user) is not None,
        "pay": order.price - order.platform_fee,
    }
    return render(request, "orders/handover_detail.html", context)


@login_required
@require_POST
def handover_accept(request: HttpRequest, pk: int) -> HttpResponse:
    handover = _handover_or_404(request, pk)
    try:
        handovers.handover_accept(handover=handover, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.first_message)
        return redirect("handover_detail", pk=pk)
    messages.success(request, _("The shift is yours: it is in your orders and your calendar."))
    return redirect("order_detail", pk=handover.order_id)


@login_required
@require_POST
def handover_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    handover = _handover_or_404(request, pk)
    try:
        handovers.handover_withdraw(handover=handover, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.first_message)
    else:
        messages.success(request, _("You withdrew the offer: you keep the shift."))
    return redirect("order_detail", pk=handover.order_id)
