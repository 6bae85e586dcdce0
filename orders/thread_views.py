"""The order's message thread on the web: the thread on the order page, its own page, reports, files.

Thin: every write goes through ``orders.threads``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.downloads import stored_file_response
from core.exceptions import ApplicationError, NotFound
from marketplace.selectors import block_active_between

from . import threads
from .forms import MessageForm, MessageReportForm
from .models import MessageReportReason, Order
from .selectors import (
    attachment_get_for,
    message_get_for,
    order_get_for_action,
    order_thread_for,
    order_thread_latest,
)

THREAD_ON_ORDER_PAGE = 50
THREAD_PER_PAGE = 50


def thread_context(request: HttpRequest, order: Order, *, form: MessageForm | None = None, page=None) -> dict:
    """What the thread shows: its messages (the latest ones, or one ``page``), the form and who may write."""
    user = request.user
    role = order.role_of(user)
    if page is None:
        latest = order_thread_latest(order=order, user=user, limit=THREAD_ON_ORDER_PAGE + 1)
        has_earlier = len(latest) > THREAD_ON_ORDER_PAGE
        thread = latest[:THREAD_ON_ORDER_PAGE][::-1]
    else:
        has_earlier = False
        thread = list(page.object_list)
    block = other = None
    if role is not None:
        other = order.provider if role == "client" else order.client
        block = block_active_between(user, other)
    return {
        "order": order,
        "role": role,
        "other": other,
        "thread": thread,
        "has_earlier": has_earlier,
        "page": page,
        "standing_block": block,  # not "block": inside {% block %} tags that is the template's block
        "can_post": role is not None and block is None,
        "form": form or MessageForm(),
        "report_reasons": MessageReportReason.choices,
    }


def _thread_order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        return order_get_for_action(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None


def _thread_page(request: HttpRequest, order: Order, form: MessageForm | None = None) -> HttpResponse:
    thread = order_thread_for(order=order, user=request.user)
    paginator = Paginator(thread, THREAD_PER_PAGE)
    # The newest messages are on the last page: open there unless a page is asked for.
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    context = {**thread_context(request, order, form=form, page=page), "standalone": True}
    return render(request, "orders/order_thread.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def order_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the whole thread, page by page. POST: send a message (htmx swaps the thread in place)."""
    order = _thread_order_or_404(request, pk)
    if request.method == "GET":
        return _thread_page(request, order)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            threads.message_post(order=order, author=request.user, **form.cleaned_data)
        except NotFound:
            raise Http404(_("No such order.")) from None
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            if request.htmx:
                return render(request, "orders/_messages.html", thread_context(request, order))
            return redirect(reverse("order_detail", args=[order.pk]) + "#messages")
    if request.htmx:
        return render(request, "orders/_messages.html", thread_context(request, order, form=form))
    return _thread_page(request, order, form)


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a message of the other party to support, with a reason from the list."""
    try:
        message = message_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such message.")) from None
    form = MessageReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            threads.message_report_create(message=message, reporter=request.user, **form.cleaned_data)
        except NotFound:
            raise Http404(_("No such message.")) from None
        except ApplicationError as exc:
            if exc.code == "already_reported":
                messages.info(request, exc.message)
                return redirect(reverse("order_detail", args=[message.order_id]) + f"#message-{message.pk}")
            form.add_service_error(exc)
        else:
            messages.success(request, _("Thank you: the message is reported and support will look at it."))
            return redirect(reverse("order_detail", args=[message.order_id]) + f"#message-{message.pk}")
    return render(request, "orders/message_report.html", {"message": message, "form": form})


@require_safe
def message_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment, for the order's parties and support only: it is evidence, never public."""
    try:
        attachment = attachment_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such file.")) from None
    return stored_file_response(attachment)
