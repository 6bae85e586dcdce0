"""The back office for claims with proof and appeals of penalties: two queues, and a page each to decide.

Both are read-only here; deciding goes through a custom page that validates a note and calls
the service (``claim_decide``, ``appeal_decide``), the way Django's
``UserAdmin.user_change_password`` runs its form (``core.admin.ServiceFormAdminMixin``). The
page shows what each decision does before it is taken.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ServiceFormAdminMixin, TransitionLogInline, admin_link
from disputes.models import AppealState, Claim, ClaimKind, ClaimState, Evidence, PenaltyAppeal
from disputes.services.appeals import appeal_assign, appeal_decide
from disputes.services.claims import claim_assign, claim_decide

from .queue import SlaSeenActionMixin, bulk_take
from .queue import SlaSeenFilter as SlaFilter
from .tickets import AssigneeFilter

ACTION_FORM = "admin/action_form.html"


class _EvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Evidence
    fields = ("download", "content_type", "size_shown", "uploaded_by", "created_at")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = _("proof")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> str:
        return format_html('<a href="{}">{}</a>', reverse("evidence_download", args=(obj.pk,)), obj.name)


class ClaimEvidenceInline(_EvidenceInline):
    fk_name = "claim"


class AppealEvidenceInline(_EvidenceInline):
    fk_name = "appeal"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Reasons"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Both parties read them."),
    )

    def __init__(self, *args, choices, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = choices


def _held_text(fee, credit_delta: int, counts: bool, complaint: bool, currency: str) -> str:
    parts = []
    if fee:
        parts.append(gettext("a fee of %(fee)s %(cur)s") % {"fee": fee, "cur": currency})
    if credit_delta:
        parts.append(gettext("credit %(delta)+d") % {"delta": credit_delta})
    if counts:
        parts.append(gettext("counts against the completion rate"))
    if complaint:
        parts.append(gettext("counts as a complaint"))
    return ", ".join(parts) or gettext("nothing")


class SupportQueueAdmin(SlaSeenActionMixin, ServiceFormAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """A queue of what support decides (claims, appeals): take items, and a page to decide each.

    A subclass names the state items wait in, the decisions with their words, and calls its
    services in ``take`` and ``decide``; ``decision_rows`` says what each decision does.
    """

    waiting_state = ""
    decisions: tuple[tuple[str, str], ...] = ()
    decide_title = ""
    already_decided = ""
    actions = ("assign_to_me", "mark_sla_seen")
    list_display_links = ("id",)
    ordering = ("decision_due", "id")
    date_hierarchy = "created_at"

    def take(self, obj, agent) -> None:
        raise NotImplementedError

    def decide(self, obj, actor, decision: str, note: str):
        raise NotImplementedError

    def decision_rows(self, obj) -> list[tuple[str, object]]:
        raise NotImplementedError

    def decision_intro(self, obj) -> str:
        return ""

    @admin.action(description=_("Take them (assign to me)"), permissions=("decide",))
    def assign_to_me(self, request: HttpRequest, queryset) -> None:
        bulk_take(self, request, queryset, lambda obj: self.take(obj, request.user))

    def get_urls(self):
        return [self.service_form_path("decide", self.decide_view), *super().get_urls()]  # disputes_<model>_decide

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm(f"disputes.change_{self.opts.model_name}")

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        context["can_decide"] = (
            obj is not None and obj.state == self.waiting_state and self.has_decide_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def decide_view(self, request: HttpRequest, object_id: str):
        """Decide with the reasons, having seen what each decision does."""
        obj, gone = self.service_form_object(
            request, object_id, allowed=lambda _obj: self.has_decide_permission(request)
        )
        if gone is not None:
            return gone
        if obj.state != self.waiting_state:
            return self.service_form_refuse(request, obj, str(self.already_decided))
        form = DecisionForm(request.POST or None, choices=[(value, str(label)) for value, label in self.decisions])

        def run(data: dict) -> tuple[str, str]:
            decided = self.decide(obj, request.user, data["decision"], data["note"])
            text = gettext("%(what)s #%(id)s: %(state)s.") % {
                "what": capfirst(self.opts.verbose_name),
                "id": obj.pk,
                "state": decided.get_state_display(),
            }
            return text, text

        return self.service_form_page(
            request,
            obj,
            form,
            run,
            ACTION_FORM,
            title=str(self.decide_title),
            rows=self.decision_rows(obj),
            intro=self.decision_intro(obj),
            submit_label=gettext("Decide"),
        )


# --- Claims ------------------------------------------------------------------------------------


@admin.register(Claim)
class ClaimAdmin(SupportQueueAdmin):
    """Claims waiting for a decision first, the most urgent at the top."""

    waiting_state = ClaimState.PENDING_REVIEW
    decisions = (("accept", _("Accept")), ("reject", _("Reject")))
    decide_title = _("Decide the claim")
    already_decided = _("This claim was already decided.")
    list_display = ("id", "order_link", "kind", "state", "claimant", "claimant_role", "decision_due", "sla_breached_at")
    list_filter = ("state", "kind", SlaFilter, AssigneeFilter, "created_at")
    search_fields = ("id__exact", "order__id__exact", "claimant__username", "statement")
    search_help_text = _("Claim or order number, the claimant's username, or words of the statement.")
    list_select_related = ("order", "claimant")
    inlines = (ClaimEvidenceInline, TransitionLogInline)
    fields = (
        "order_link",
        "kind",
        "state",
        "claimant",
        "claimant_role",
        "statement",
        "held",
        "first_response_due",
        "decision_due",
        "sla_breached_at",
        "assignee",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    readonly_fields = fields

    @admin.display(description=_("order"), ordering="order")
    def order_link(self, obj: Claim) -> str:
        return admin_link(obj.order, f"#{obj.order_id}")

    @admin.display(description=_("held until decided"))
    def held(self, obj: Claim) -> str:
        return _held_text(
            obj.held_fee,
            obj.held_credit_delta,
            obj.held_counts_against_completion_rate,
            obj.held_counts_as_complaint,
            obj.order.currency,
        )

    def take(self, obj: Claim, agent) -> None:
        claim_assign(claim=obj, agent=agent)

    def decide(self, obj: Claim, actor, decision: str, note: str) -> Claim:
        return claim_decide(claim=obj, actor=actor, decision=decision, note=note)

    def decision_intro(self, obj: Claim) -> str:
        return gettext(
            "The order was cancelled when the claim was filed and the client refunded in full. Look at the "
            "proof below the claim before deciding."
        )

    def decision_rows(self, obj: Claim) -> list[tuple[str, object]]:
        if obj.kind == ClaimKind.CLIENT_RESPONSIBLE:
            accepted = gettext(
                "Nothing held applies to the provider; the client-responsible ruling's consequences apply to "
                "the client."
            )
        else:
            accepted = gettext("Nothing held applies.")
        return [
            (gettext("kind"), obj.get_kind_display()),
            (gettext("filed by"), f"{obj.claimant} ({obj.claimant_role})"),
            (gettext("statement"), obj.statement),
            (gettext("if accepted"), accepted),
            (gettext("if rejected"), gettext("Applied, dated at the claim: %(held)s.") % {"held": self.held(obj)}),
        ]


# --- Appeals of penalties ----------------------------------------------------------------------


@admin.register(PenaltyAppeal)
class PenaltyAppealAdmin(SupportQueueAdmin):
    """Appeals waiting for a decision first, the most urgent at the top."""

    waiting_state = AppealState.OPEN
    decisions = (("uphold", _("Uphold")), ("deny", _("Deny")))
    decide_title = _("Decide the appeal")
    already_decided = _("This appeal was already decided.")
    list_display = ("id", "event_link", "order", "appellant", "state", "decision_due", "sla_breached_at")
    list_filter = ("state", SlaFilter, AssigneeFilter, "created_at")
    search_fields = ("id__exact", "order__id__exact", "appellant__username", "statement")
    search_help_text = _("Appeal or order number, the appellant's username, or words of the statement.")
    list_select_related = ("event", "order", "appellant")
    inlines = (AppealEvidenceInline, TransitionLogInline)
    fields = (
        "event_link",
        "order",
        "appellant",
        "state",
        "statement",
        "first_response_due",
        "decision_due",
        "sla_breached_at",
        "assignee",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    readonly_fields = fields

    @admin.display(description=_("penalty"))
    def event_link(self, obj: PenaltyAppeal) -> str:
        event = obj.event
        return admin_link(event, f"{event.delta:+d} · {event.get_reason_display()} · {event.detail_text}")

    def take(self, obj: PenaltyAppeal, agent) -> None:
        appeal_assign(appeal=obj, agent=agent)

    def decide(self, obj: PenaltyAppeal, actor, decision: str, note: str) -> PenaltyAppeal:
        return appeal_decide(appeal=obj, actor=actor, decision=decision, note=note)

    def decision_rows(self, obj: PenaltyAppeal) -> list[tuple[str, object]]:
        event = obj.event
        return [
            (gettext("penalty"), f"{event.delta:+d} · {event.get_reason_display()} · {event.detail_text}"),
            (gettext("appellant"), obj.appellant),
            (gettext("statement"), obj.statement),
            (
                gettext("if upheld"),
                gettext("The event is reversed, and the fee of its cancellation refunded; the history keeps both."),
            ),
            (gettext("if denied"), gettext("The penalty stays.")),
        ]
