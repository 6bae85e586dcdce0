"""The back office for after-sales tickets: a queue, the ticket page, and one view per agent action.

Tickets are never edited by hand (the state is protected): each agent action is a custom admin
view that validates a small form and calls one service, like ``UserAdmin.user_change_password``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    AgeBandsFilter,
    ReadOnlyInlineMixin,
    ServiceFormAdminMixin,
    ServiceOnlyAdminMixin,
    TransitionLogInline,
    admin_link,
)
from core.support import is_support
from disputes.admin.queue import SlaSeenActionMixin, SlaSeenFilter, bulk_take
from disputes.models import AfterSalesTicket, Evidence, TicketCancelReason, TicketState, TicketVersion
from disputes.services import tickets as services

# --- The queue's filters -------------------------------------------------------------------------


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return (("mine", _("mine")), ("unassigned", _("unassigned")), ("others", _("someone else")))

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.filter(assignee=request.user)
        if self.value() == "unassigned":
            return queryset.filter(assignee__isnull=True)
        if self.value() == "others":
            return queryset.filter(assignee__isnull=False).exclude(assignee=request.user)
        return queryset


class AgeFilter(AgeBandsFilter):
    bands = {
        "1d": (_("under a day"), None, 1),
        "1-3d": (_("1–3 days"), 1, 3),
        "3-7d": (_("3–7 days"), 3, 7),
        "7d+": (_("over a week"), 7, None),
    }


class CancelPendingFilter(admin.SimpleListFilter):
    title = _("cancellation waiting")
    parameter_name = "cancel_pending"

    def lookups(self, request, model_admin):
        return (
            ("yes", _("waiting for confirmation")),
            ("support", _("for support to decide (no answer in time)")),
            ("no", _("no")),
        )

    def queryset(self, request, queryset):
        pending = Q(cancel_requested_at__isnull=False, state__in=(TicketState.APPROVED, TicketState.PROCESSING))
        if self.value() == "yes":
            return queryset.filter(pending)
        if self.value() == "support":
            return queryset.filter(pending, cancel_handed_over_at__isnull=False)
        if self.value() == "no":
            return queryset.exclude(pending)
        return queryset


class SlaFilter(SlaSeenFilter):
    def extra_lookups(self):
        return (("awaiting_response", _("waiting for a first response")),)

    def extra_queryset(self, value, queryset):
        if value == "awaiting_response":
            return queryset.filter(first_response_at__isnull=True, state__in=services.LIVE_STATES)
        return queryset


# --- Inlines -------------------------------------------------------------------------------------


class TicketVersionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = TicketVersion
    fields = ("version", "type", "description", "edited_by", "created_at")
    readonly_fields = fields
    ordering = ("version",)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("edited_by")


class TicketEvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Evidence
    fk_name = "ticket"
    fields = ("download", "content_type", "size_shown", "description", "uploaded_by", "created_at")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = _("evidence")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> str:
        return format_html('<a href="{}">{}</a>', reverse("evidence_download", args=(obj.pk,)), obj.name)


# --- Agent actions: a form and the service it runs -----------------------------------------------


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note to both parties"), widget=forms.Textarea(attrs={"rows": 4}), required=False)


class RequiredNoteForm(forms.Form):
    note = forms.CharField(label=_("Reasons, shown to both parties"), widget=forms.Textarea(attrs={"rows": 4}))


class ApproveForm(RequiredNoteForm):
    compensation = forms.DecimalField(
        label=_("Compensation"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text=_(
            "0 up to the order's price, in the order's currency. Unpaid wages go to the provider, "
            "charged to the client; everything else goes to the client, from the provider's balance."
        ),
    )


class ConfirmForm(forms.Form):
    """No fields: the page explains the effect and the button confirms it."""


class AgentCancelForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=TicketCancelReason.choices)
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RefuseForm(forms.Form):
    message = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=(
            ("confirm", _("Confirm: the ticket is cancelled (a paid compensation is reversed)")),
            ("refuse", _("Refuse: the ticket goes on")),
        ),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Reasons, shown to both parties"), widget=forms.Textarea(attrs={"rows": 4}))


@dataclass(frozen=True)
class AgentAction:
    name: str
    label: Promise
    form_class: type[forms.Form]
    run: Callable[[AfterSalesTicket, object, dict], AfterSalesTicket]
    shown: Callable[[AfterSalesTicket, object], bool]
    done: Promise


def _live_and_not_pending(*states: str) -> Callable[[AfterSalesTicket, object], bool]:
    return lambda ticket, user: ticket.state in states and not ticket.cancel_pending


AGENT_ACTIONS: dict[str, AgentAction] = {
    a.name: a
    for a in (
        AgentAction(
            "start_review",
            _("Start review (assign to me)"),
            ConfirmForm,
            lambda t, u, d: services.ticket_start_review(ticket=t, actor=u),
            _live_and_not_pending(TicketState.PENDING_REVIEW),
            _("You are reviewing the ticket."),
        ),
        AgentAction(
            "approve",
            _("Approve"),
            ApproveForm,
            lambda t, u, d: services.ticket_approve(ticket=t, actor=u, compensation=d["compensation"], note=d["note"]),
            _live_and_not_pending(TicketState.UNDER_REVIEW),
            _("Ticket approved; both parties are told."),
        ),
        AgentAction(
            "reject",
            _("Reject"),
            RequiredNoteForm,
            lambda t, u, d: services.ticket_reject(ticket=t, actor=u, note=d["note"]),
            _live_and_not_pending(TicketState.UNDER_REVIEW),
            _("Ticket rejected; both parties are told."),
        ),
        AgentAction(
            "pay_compensation",
            _("Pay the compensation"),
            ConfirmForm,
            lambda t, u, d: services.ticket_pay_compensation(ticket=t, actor=u),
            lambda t, u: (
                t.state in (TicketState.APPROVED, TicketState.PROCESSING)
                and not t.cancel_pending
                and bool(t.compensation)
                and t.compensation_paid_at is None
            ),
            _("Compensation paid."),
        ),
        AgentAction(
            "start_processing",
            _("Start processing"),
            NoteForm,
            lambda t, u, d: services.ticket_start_processing(ticket=t, actor=u, note=d["note"]),
            _live_and_not_pending(TicketState.APPROVED),
            _("The ticket is being processed."),
        ),
        AgentAction(
            "resolve",
            _("Resolve"),
            NoteForm,
            lambda t, u, d: services.ticket_resolve(ticket=t, actor=u, note=d["note"]),
            _live_and_not_pending(TicketState.PROCESSING),
            _("Ticket resolved."),
        ),
        AgentAction(
            "cancel",
            _("Cancel the ticket"),
            AgentCancelForm,
            lambda t, u, d: services.ticket_cancel(ticket=t, actor=u, reason=d["reason"], message=d["message"]),
            lambda t, u: services.can_cancel(t, u),
            _("The ticket is cancelled; both parties are told."),
        ),
        AgentAction(
            "confirm_cancel",
            _("Confirm the cancellation"),
            ConfirmForm,
            lambda t, u, d: services.ticket_cancel_confirm(ticket=t, actor=u),
            lambda t, u: services.can_confirm_cancel(t, u),
            _("Cancellation confirmed: the ticket is cancelled."),
        ),
        AgentAction(
            "refuse_cancel",
            _("Refuse the cancellation"),
            RefuseForm,
            lambda t, u, d: services.ticket_cancel_refuse(ticket=t, actor=u, message=d["message"]),
            lambda t, u: services.can_confirm_cancel(t, u),
            _("Cancellation refused: the ticket goes on."),
        ),
        # For the party it waits on: when support is not among who may answer, or nobody answered in time.
        AgentAction(
            "decide_cancel",
            _("Decide the cancellation for the party"),
            DecideForm,
            lambda t, u, d: services.ticket_cancel_decide(ticket=t, actor=u, decision=d["decision"], note=d["note"]),
            lambda t, u: services.can_decide_cancel(t, u) and not services.can_confirm_cancel(t, u),
            _("Cancellation decided; everyone involved is told."),
        ),
        AgentAction(
            "withdraw_cancel",
            _("Withdraw the cancellation (for who asked)"),
            RefuseForm,
            lambda t, u, d: services.ticket_cancel_withdraw(ticket=t, actor=u, message=d["message"]),
            lambda t, u: services.can_withdraw_cancel(t, u),
            _("Cancellation withdrawn: the ticket goes on."),
        ),
    )
}


@admin.register(AfterSalesTicket)
class AfterSalesTicketAdmin(SlaSeenActionMixin, ServiceFormAdminMixin, ServiceOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "order_link",
        "type",
        "state",
        "cancel_waiting",
        "assignee",
        "opened_by",
        "opened_by_role",
        "created_at",
        "resolution_due",
        "sla_breached",
    )
    list_display_links = ("id",)
    list_filter = ("state", "type", AssigneeFilter, AgeFilter, CancelPendingFilter, SlaFilter, "created_at")
    actions = ("take_for_review", "mark_sla_seen")
    list_select_related = ("order", "assignee", "opened_by")
    search_fields = ("id__exact", "order__id__exact", "opened_by__username", "description")
    search_help_text = _("Ticket or order number, the filer's username, or words of the description.")
    ordering = ("created_at", "id")  # oldest first: a queue
    date_hierarchy = "created_at"
    inlines = (TicketVersionInline, TicketEvidenceInline, TransitionLogInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "order_link",
                    "type",
                    "state",
                    "opened_by",
                    "opened_by_role",
                    "version",
                    "description",
                    "hours_recorded",
                )
            },
        ),
        (
            _("Decision"),
            {
                "fields": (
                    "assignee",
                    "compensation_display",
                    "compensation_paid_at",
                    "compensation_refund_link",
                    "compensation_charge_link",
                    "decision_note",
                )
            },
        ),
        (
            _("Cancellation"),
            {
                "fields": (
                    "cancel_waiting",
                    "cancel_reason",
                    "cancel_message",
                    "cancel_requested_by",
                    "cancel_requested_at",
                    "cancel_respond_by",
                    "cancel_handed_over_at",
                    "cancelled_at",
                )
            },
        ),
        (
            _("Service level"),
            {
                "fields": (
                    "first_response_due",
                    "first_response_at",
                    "resolution_due",
                    "sla_breached_at",
                    "escalated_at",
                )
            },
        ),
        (_("Taken to support"), {"fields": ("rejected_at", "escalate_until_display", "escalated_case_link")}),
        (_("Clock"), {"fields": ("created_at", "updated_at", "resolved_at")}),
    )
    readonly_fields = tuple(field for _title, spec in fieldsets for field in spec["fields"])

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "order__policy", "order__client", "order__provider", "assignee", "opened_by", "escalated_to"
            )
        )

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        actions = []
        if obj is not None and self.has_change_permission(request, obj):
            actions = [
                (reverse("admin:disputes_aftersalesticket_act", args=(obj.pk, a.name)), a.label)
                for a in AGENT_ACTIONS.values()
                if a.shown(obj, request.user)
            ]
        context["ticket_actions"] = actions
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("order"))
    def order_link(self, obj: AfterSalesTicket) -> str:
        return admin_link(obj.order, f"#{obj.order_id}")

    @admin.display(description=_("cancellation waiting"), boolean=True)
    def cancel_waiting(self, obj: AfterSalesTicket) -> bool:
        return obj.cancel_pending

    @admin.display(description=_("hours recorded (shift)"))
    def hours_recorded(self, obj: AfterSalesTicket) -> str:
        order = obj.order
        if order.hours_worked is None:
            return "—"
        return gettext("%(worked)s worked of %(booked)s booked") % {
            "worked": order.hours_worked,
            "booked": order.hours_booked,
        }

    @admin.display(description=_("SLA breached"), boolean=True, ordering="sla_breached_at")
    def sla_breached(self, obj: AfterSalesTicket) -> bool:
        return obj.sla_breached_at is not None

    @admin.display(description=_("can be taken to support until"))
    def escalate_until_display(self, obj: AfterSalesTicket):
        return services.escalate_until(obj) or "—"

    @admin.display(description=_("support case"))
    def escalated_case_link(self, obj: AfterSalesTicket) -> str:
        case = services.escalated_case(obj)
        return admin_link(case, f"#{case.pk}") if case is not None else "—"

    @admin.display(description=_("refund to the client"))
    def compensation_refund_link(self, obj: AfterSalesTicket) -> str:
        if obj.compensation_refund_id is None:
            return "—"
        refund = obj.compensation_refund
        return format_html("{} · {}", admin_link(refund), refund.get_status_display())

    @admin.display(description=_("charge of the client"))
    def compensation_charge_link(self, obj: AfterSalesTicket) -> str:
        if obj.compensation_charge_id is None:
            return "—"
        charge = obj.compensation_charge
        return format_html("{} · {}", admin_link(charge), charge.get_status_display())

    @admin.display(description=_("compensation"))
    def compensation_display(self, obj: AfterSalesTicket) -> str:
        if obj.compensation is None:
            return "—"
        to = gettext("provider") if services.compensation_recipient(obj) == "provider" else gettext("client")
        return f"{obj.compensation} {obj.order.currency} → {to}"

    # --- one view for every agent action (like UserAdmin.user_change_password) ---

    @admin.action(description=_("Take them for review (assign to me)"), permissions=("support_change",))
    def take_for_review(self, request: HttpRequest, queryset) -> None:
        bulk_take(
            self, request, queryset, lambda ticket: services.ticket_start_review(ticket=ticket, actor=request.user)
        )

    def get_urls(self):
        return [
            # disputes_aftersalesticket_act, with the action's name
            self.service_form_path("act/<slug:action>", self.agent_action_view, name="act"),
            *super().get_urls(),
        ]

    def agent_action_view(self, request: HttpRequest, object_id: str, action: str):
        """Show the action's form; on a valid POST run its service and go back to the ticket."""
        spec = AGENT_ACTIONS.get(action)
        ticket, gone = self.service_form_object(
            request,
            object_id,
            allowed=lambda obj: (
                spec is not None and is_support(request.user) and self.has_change_permission(request, obj)
            ),
        )
        if gone is not None:
            return gone
        # A form without fields (a confirmation) is bound by any POST, even an empty one.
        form = spec.form_class(request.POST if request.method == "POST" else None)

        def run(data: dict) -> tuple[str, str, AfterSalesTicket]:
            after = spec.run(ticket, request.user, data)
            done = spec.done
            if action == "cancel" and after.state != TicketState.CANCELLED:
                done = _("Cancellation asked: it happens once the provider accepts it.")
            return str(spec.label), str(done), after

        return self.service_form_page(
            request,
            ticket,
            form,
            run,
            "admin/disputes/aftersalesticket/agent_action.html",
            title=str(spec.label),
            # A refusal about the input stays on the form; one about the ticket goes back to its page.
            refusal="fields",
            submit_label=spec.label,
            needs_confirmation=services.cancel_needs_confirmation(ticket, "support") if action == "cancel" else (),
        )
