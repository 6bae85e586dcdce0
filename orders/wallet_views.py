"""The wallet page: a person's money per currency with the movements behind it, and payouts."""

from __future__ import annotations

from datetime import date, timedelta
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

from core.exceptions import ApplicationError, NotFound
from core.forms import GigfairForm
from core.web import paginate

from . import deposits, payouts, statements
from .models import CURRENCIES, AccountKind, DepositSource
from .wallet import clearance_days, pending_orders, wallet_for, wallet_movements

MOVEMENTS_PER_PAGE = 50


class PayoutForm(GigfairForm):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=CURRENCIES)


class DepositForm(GigfairForm):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=CURRENCIES)
    source = forms.ChoiceField(
        label=gettext_lazy("Pay it"), choices=DepositSource.choices, widget=forms.RadioSelect, initial="wallet"
    )


class DepositReturnForm(GigfairForm):
    currency = forms.ChoiceField(choices=CURRENCIES, widget=forms.HiddenInput)


def _submitted(request: HttpRequest, name: str):
    """The data for the form ``name`` when it is the one posted (the payout form when none is named),
    else None: the others stay unbound."""
    return request.POST if request.method == "POST" and request.POST.get("form", "payout") == name else None


@login_required
@require_http_methods(["GET", "POST"])
def wallet(request: HttpRequest) -> HttpResponse:
    form = PayoutForm(_submitted(request, "payout"), prefix="payout")
    deposit_form = DepositForm(_submitted(request, "deposit"), prefix="deposit")
    return_form = DepositReturnForm(_submitted(request, "deposit_return"), prefix="return")
    done = None
    if form.is_bound and form.is_valid():
        try:
            payouts.payout_request(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            done = _("Your payout is on its way: you are told when the bank has it.")
    elif deposit_form.is_bound and deposit_form.is_valid():
        try:
            payment = deposits.deposit_pay(user=request.user, **deposit_form.cleaned_data)
        except ApplicationError as exc:
            deposit_form.add_service_error(exc)
        else:
            done = _("%(amount)s %(currency)s is now held as your deposit.") % {
                "amount": payment.amount,
                "currency": payment.currency,
            }
    elif return_form.is_bound and return_form.is_valid():
        try:
            amount = deposits.deposit_return(user=request.user, currency=return_form.cleaned_data["currency"])
        except ApplicationError as exc:
            return_form.add_service_error(exc)
        else:
            done = _("%(amount)s %(currency)s of deposit is available in your wallet again.") % {
                "amount": amount,
                "currency": return_form.cleaned_data["currency"],
            }
    if done:
        messages.success(request, done)
        return redirect("wallet")
    lines = wallet_for(request.user)
    if not form.is_bound and lines:
        form.initial = {"currency": lines[0].currency}
    deposit_lines = deposits.deposits_for(request.user)
    missing = next((line for line in deposit_lines if line.missing), None)
    if not deposit_form.is_bound and missing is not None:
        deposit_form.initial = {"currency": missing.currency, "amount": missing.missing, "source": "wallet"}
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
        "deposit_lines": deposit_lines,
        "deposit_form": deposit_form,
        "return_errors": return_form.non_field_errors() if return_form.is_bound else (),
        "deposit_movements": _to_you(wallet_movements(request.user, kind=AccountKind.DEPOSIT)[:20]),
        "this_month": timezone.localdate().strftime("%Y-%m"),
    }
    failed = form.errors or deposit_form.errors or (return_form.is_bound and return_form.errors)
    return render(request, "orders/wallet.html", context, status=400 if failed else 200)


def _to_you(entries) -> list:
    entries = list(entries)
    for entry in entries:
        entry.to_you = -entry.amount  # the ledger's credit to their account is money to them
    return entries


def _month(value: str) -> date:
    try:
        return statements.month_parse(value)
    except NotFound as exc:
        raise Http404(exc.message) from None


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
