"""The wallet page: a person's money per currency with the movements behind it, and payouts."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from core.forms import GigfairForm
from core.web import paginate

from . import payouts, statements
from .models import CURRENCIES
from .wallet import clearance_days, pending_orders, wallet_for, wallet_movements

MOVEMENTS_PER_PAGE = 50


class PayoutForm(GigfairForm):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=CURRENCIES)


@login_required
@require_http_methods(["GET", "POST"])
def wallet(request: HttpRequest) -> HttpResponse:
    form = PayoutForm(request.POST or None, prefix="payout")
    if request.method == "POST" and form.is_valid():
        try:
            payouts.payout_request(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your payout is on its way: you are told when the bank has it."))
            return redirect("wallet")
    lines = wallet_for(request.user)
    if not form.is_bound and lines:
        form.initial = {"currency": lines[0].currency}
    pending = list(pending_orders(request.user)[:50])
    for order in pending:
        order.earns = order.price - order.platform_fee
    movements = paginate(request, wallet_movements(request.user), per_page=MOVEMENTS_PER_PAGE)
    for entry in movements:
        entry.to_you = -entry.amount  # the ledger's credit to their account is money to them
    context = {
        "lines": lines,
        "form": form,
        "clearance_days": clearance_days(),
        "pending": pending,
        "movements": movements,
        "payouts": list(payouts.payouts_for(request.user)[:20]),
        "this_month": timezone.localdate().strftime("%Y-%m"),
    }
    return render(request, "orders/wallet.html", context, status=400 if form.errors else 200)


def _month(value: str) -> date:
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise Http404(_("No such month.")) from None
    if not 2000 <= month.year <= 9998:
        raise Http404(_("No such month."))
    return month


@login_required
def wallet_statement(request: HttpRequest, month: str) -> HttpResponse:
    """One month's statement, printable."""
    found = _month(month)
    statement = statements.statement_for(request.user, found)
    context = {
        "statement": statement,
        "previous": (found - timedelta(days=1)).strftime("%Y-%m"),
        "next": (found + timedelta(days=31)).replace(day=1).strftime("%Y-%m"),
        "month_code": found.strftime("%Y-%m"),
    }
    return render(request, "orders/statement.html", context)


@login_required
def wallet_statement_csv(request: HttpRequest, month: str) -> HttpResponse:
    found = _month(month)
    response = HttpResponse(
        statements.statement_csv(statements.statement_for(request.user, found)), content_type="text/csv"
    )
    response["Content-Disposition"] = f'attachment; filename="gigfair-statement-{found:%Y-%m}.csv"'
    return response
