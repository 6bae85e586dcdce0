"""The agents' queue of support cases and the views that work a case.

Cases are read-only here: what agents do runs a service through a custom admin view, in the
way Django's ``UserAdmin.user_change_password`` runs its form — assign to me, ask a party for
information, rule (with the consequences from the cancellation engine before the confirm
step), close, and, for supervisors, decide an appeal.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import (
    AgeBandsFilter,
    ReadOnlyInlineMixin,
    ServiceFormAdminMixin,
    ServiceOnlyAdminMixin,
    TransitionLogInline,
    admin_link,
    bulk_form_action,
)
from core.models import ActorRole
from core.support import support_members
from credit.models import RestrictionKind
from disputes.admin.queue import AssignToForm, SlaSeenActionMixin, SlaSeenFilter, bulk_take
from disputes.models import CaseState, CaseStatement, Evidence, SupportCase
from disputes.selectors.cases import case_order_history, case_order_messages
from disputes.services.cases import (
    DEFAULT_CANCEL_REASON,
    CreditEffect,
    RestrictionEffect,
    case_ask_for_info,
    case_assign,
    case_close,
    case_rule,
    case_rule_appeal,
    is_supervisor,
    ruled_cancellation,
    ruling_credit_events,
    ruling_restrictions,
)
from marketplace.models import User
from orders.admin import OUTCOME_ROWS, _outcome_values, fault_choices
from orders.cancellation import cancellation_decide
from orders.models import PERSON_REASONS, CancelReason, Fault

ACTION_PAGE = "admin/disputes/supportcase/action.html"

# --- The queue's filters ---------------------------------------------------------------------


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        staff = (
            SupportCase.objects.filter(assignee__isnull=False)
            .exclude(assignee=request.user)
            .order_by("assignee__username")
            .values_list("assignee_id", "assignee__username")
            .distinct()
        )
        return (("mine", _("mine")), ("unassigned", _("unassigned")), *((str(pk), name) for pk, name in staff))

    def queryset(self, request, queryset):
        value = self.value()
        if value == "mine":
            return queryset.filter(assignee=request.user)
        if value == "unassigned":
            return queryset.filter(assignee__isnull=True)
        if value and value.isdigit():
            return queryset.filter(assignee_id=int(value))
        return queryset


class AgeFilter(AgeBandsFilter):
    bands = {
        "lt1": (_("under a day"), None, 1),
        "1to3": (_("1 to 3 days"), 1, 3),
        "gt3": (_("over 3 days"), 3, None),
    }


class SlaFilter(SlaSeenFilter):
    def extra_lookups(self):
        return (("awaiting_response", _("waiting for a first response")),)

    def extra_queryset(self, value, queryset):
        if value == "awaiting_response":
            return queryset.filter(first_response_at__isnull=True).exclude(state=CaseState.CLOSED)
        return queryset


# --- Read-only inlines -----------------------------------------------------------------------


class CaseStatementInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = CaseStatement
    fields = ("created_at", "author", "author_role", "text")
    readonly_fields = fields
    verbose_name_plural = _("statements of both parties and support")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("author")


class EvidenceInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Evidence
    fk_name = "case"
    fields = ("created_at", "uploaded_by", "download", "content_type", "size_shown", "description")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("file"))
    def download(self, obj: Evidence) -> str:
        return format_html('<a href="{}">{}</a>', reverse("evidence_download", args=(obj.pk,)), obj.name)


class CaseTransitionLogInline(TransitionLogInline):
    verbose_name_plural = _("the case's history")


# --- Forms of the agents' views --------------------------------------------------------------


class AskForInfoForm(forms.Form):
    party = forms.ChoiceField(
        label=_("Ask"),
        choices=(("client", _("the client")), ("provider", _("the provider"))),
        widget=forms.RadioSelect,
    )
    question = forms.CharField(
        label=_("What you need"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text=_("Both parties see the question; the party asked answers with a statement."),
    )


NO_RESTRICTION = [("", _("none"))]


class RuleForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome"), max_length=500, help_text=_("One line: what the ruling decides."))
    fault = forms.ChoiceField(label=_("Who was at fault"), choices=Fault.choices)
    ruling = forms.CharField(
        label=_("Ruling and reasons"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text=_("Both parties read it."),
    )
    cancel_order = forms.BooleanField(
        label=_("Cancel the order"),
        required=False,
        help_text=_("Unticked, the order goes on and no money moves."),
    )
    cancel_reason = forms.ChoiceField(label=_("Cancellation reason"), choices=PERSON_REASONS, required=False)
    refund_percent = forms.DecimalField(
        label=_("Refund to client %"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("Optional, when cancelling. Empty applies the policy's rule for the fault."),
    )
    client_credit = forms.IntegerField(
        label=_("Credit change for the client"), required=False, min_value=-100, max_value=100
    )
    provider_credit = forms.IntegerField(
        label=_("Credit change for the provider"), required=False, min_value=-100, max_value=100
    )
    restrict_client = forms.ChoiceField(
        label=_("Restrict the client"), required=False, choices=NO_RESTRICTION + RestrictionKind.choices
    )
    restrict_provider = forms.ChoiceField(
        label=_("Restrict the provider"), required=False, choices=NO_RESTRICTION + RestrictionKind.choices
    )

    def __init__(self, *args, case: SupportCase, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["cancel_reason"].initial = DEFAULT_CANCEL_REASON.get(case.category, "other")
        if not case.order.is_open:
            self.fields["cancel_order"].disabled = True
            self.fields["cancel_order"].help_text = _("The order is already %(state)s.") % {
                "state": case.order.get_state_display()
            }

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("cancel_order") and data.get("refund_percent") is not None:
            self.add_error("refund_percent", gettext("A refund split applies only when the ruling cancels the order."))
        if data.get("cancel_order") and not data.get("cancel_reason"):
            self.add_error("cancel_reason", gettext("Choose a cancellation reason."))
        for name in ("outcome", "ruling"):
            if name in data and not data[name].strip():
                raise ValidationError({name: gettext("This field is required.")})
        return data

    def credit(self) -> list[CreditEffect]:
        data = self.cleaned_data
        return [
            CreditEffect(party, data[f"{party}_credit"])
            for party in ("client", "provider")
            if data.get(f"{party}_credit")
        ]

    def restrictions(self) -> list[RestrictionEffect]:
        data = self.cleaned_data
        return [
            RestrictionEffect(party, data[f"restrict_{party}"])
            for party in ("client", "provider")
            if data.get(f"restrict_{party}")
        ]


class RuleAppealForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=(
            ("yes", _("uphold the appeal: reverse the ruling's fee, credit and restrictions")),
            ("no", _("dismiss the appeal: the ruling stands")),
        ),
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    ruling = forms.CharField(
        label=_("Reasons"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text=_("Both parties read it; the original ruling stays in the history."),
    )


# --- The queue -------------------------------------------------------------------------------


@admin.register(SupportCase)
class SupportCaseAdmin(SlaSeenActionMixin, ServiceFormAdminMixin, ServiceOnlyAdminMixin, admin.ModelAdmin):
    """The agents' queue of cases and the case page.

    Cases are opened by parties and moved only by the services behind the agents' views below
    (the shared plumbing is ``core.admin.ServiceFormAdminMixin``).
    """

    list_display = (
        "id",
        "order_link",
        "category",
        "state",
        "opened_by",
        "assignee",
        "age",
        "first_response_due",
        "ruling_due",
        "sla_breached",
    )
    list_display_links = ("id",)
    list_filter = ("state", AgeFilter, SlaFilter, AssigneeFilter, "category")
    actions = ("assign_to_me", "assign_to", "mark_sla_seen")
    search_fields = (
        "id__exact",
        "order__id__exact",
        "order__title",
        "order__client__username",
        "order__provider__username",
        "statement",
    )
    search_help_text = _("Case or order number, order title, a party's username, or words of the statement.")
    list_select_related = ("order", "opened_by", "assignee")
    date_hierarchy = "created_at"
    ordering = ("ruling_due", "id")
    inlines = (CaseStatementInline, EvidenceInline, CaseTransitionLogInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "order_link",
                    "parties",
                    "category",
                    "state",
                    "opened_by",
                    "opened_by_role",
                    "escalated_from",
                    "escalated_from_ticket",
                    "created_at",
                )
            },
        ),
        (_("Opening statement"), {"fields": ("statement", "desired_outcome")}),
        (
            _("Service level"),
            {
                "fields": (
                    "assignee",
                    "first_response_due",
                    "first_response_at",
                    "ruling_due",
                    "sla_breached_at",
                    "escalated_at",
                )
            },
        ),
        (_("Information asked"), {"fields": ("info_requested_from", "info_request", "info_due_at")}),
        (
            _("Ruling"),
            {
                "fields": (
                    "outcome",
                    "fault",
                    "refund_percent",
                    "ruling",
                    "ruled_by",
                    "ruled_at",
                    "appeal_until",
                    "ruling_cancellation_link",
                    "ruling_credit",
                )
            },
        ),
        (
            _("Appeal"),
            {"fields": ("appeal", "appealed_by", "appealed_at", "appeal_upheld", "appeal_ruling", "appeal_ruled_by")},
        ),
        (_("Attached from the order"), {"fields": ("order_messages", "order_history", "closed_at")}),
    )
    readonly_fields = tuple(name for _title, spec in fieldsets for name in spec["fields"])

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "order__client",
                "order__provider",
                "order__policy",
                "opened_by",
                "assignee",
                "ruled_by",
                "appealed_by",
                "appeal_ruled_by",
                "info_requested_from",
                "escalated_from",
                "escalated_from_ticket",
            )
        )

    # --- columns and panels ---

    @admin.display(description=_("order"), ordering="order")
    def order_link(self, obj: SupportCase) -> str:
        return admin_link(obj.order)

    @admin.display(description=_("cancellation ruled"))
    def ruling_cancellation_link(self, obj: SupportCase) -> str:
        return admin_link(obj.ruling_cancellation) if obj.ruling_cancellation_id else "—"

    @admin.display(description=_("credit events ruled"))
    def ruling_credit(self, obj: SupportCase) -> str:
        events = list(obj.ruling_credit_events.select_related("user").order_by("created_at", "id"))
        if not events:
            return "—"
        return format_html_join(", ", "{} {}", ((f"{e.delta:+d}", e.user) for e in events))

    @admin.display(description=_("client / provider"))
    def parties(self, obj: SupportCase) -> str:
        return format_html("{} / {}", admin_link(obj.order.client), admin_link(obj.order.provider))

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj: SupportCase) -> str:
        return timesince(obj.created_at)

    @admin.display(description=_("SLA breached"), boolean=True, ordering="sla_breached_at")
    def sla_breached(self, obj: SupportCase) -> bool:
        return obj.sla_breached_at is not None

    @admin.display(description=_("the order's messages"))
    def order_messages(self, obj: SupportCase) -> str:
        rows = case_order_messages(obj)
        if not rows:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                '<tr><td class="nowrap">{}</td><td>{}</td><td>{}</td></tr>',
                ((m.created_at.strftime("%Y-%m-%d %H:%M"), m.author, m.body) for m in rows),
            ),
        )

    @admin.display(description=_("the order's history"))
    def order_history(self, obj: SupportCase) -> str:
        rows = list(case_order_history(obj))
        if not rows:
            return "—"
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{} → {}</td><td>{} ({})</td><td>{}</td></tr>",
                (
                    (
                        log.at.strftime("%Y-%m-%d %H:%M"),
                        log.from_state or "—",
                        log.to_state,
                        log.actor or gettext("system"),
                        log.get_actor_role_display(),
                        log.reason_text,
                    )
                    for log in rows
                ),
            ),
        )

    # --- the agents' views (like UserAdmin.user_change_password) ---

    # --- bulk actions on the queue ---

    @admin.action(description=_("Take them (assign to me)"), permissions=("support_change",))
    def assign_to_me(self, request: HttpRequest, queryset) -> None:
        bulk_take(self, request, queryset, lambda case: case_assign(case=case, actor=request.user))

    @admin.action(description=_("Assign them to an agent…"), permissions=("support_change",))
    def assign_to(self, request: HttpRequest, queryset):
        agents = User.objects.filter(support_members()).distinct().order_by("username")
        return bulk_form_action(
            self,
            request,
            queryset,
            form_class=AssignToForm,
            form_kwargs={"agents": agents},
            title=gettext("Assign cases to an agent"),
            intro=gettext(
                "The agent is told; each case's log says who assigned it. Closed cases are left as they are."
            ),
            submit_label=gettext("Assign"),
            run=lambda case, data: case_assign(case=case, actor=request.user, assignee=data["assignee"]),
            done=lambda n: ngettext("%(n)d case assigned.", "%(n)d cases assigned.", n) % {"n": n},
        )

    def get_urls(self):
        return [
            self.service_form_path("assign-to-me", self.assign_to_me_view),  # disputes_supportcase_assign_to_me
            self.service_form_path("ask-for-info", self.ask_for_info_view),  # disputes_supportcase_ask_for_info
            self.service_form_path("rule", self.rule_view),  # disputes_supportcase_rule
            self.service_form_path("close", self.close_view),  # disputes_supportcase_close
            self.service_form_path("rule-appeal", self.rule_appeal_view),  # disputes_supportcase_rule_appeal
            *super().get_urls(),
        ]

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        can_work = obj is not None and self.has_change_permission(request, obj)
        context.update(
            {
                "can_assign": can_work and obj.state != CaseState.CLOSED and obj.assignee_id != request.user.pk,
                "can_ask_for_info": can_work and obj.state == CaseState.OPEN,
                "can_rule": can_work and obj.state in (CaseState.OPEN, CaseState.AWAITING_INFO),
                "can_close": can_work and obj.state == CaseState.RULED,
                "can_rule_appeal": obj is not None and obj.state == CaseState.APPEALED and is_supervisor(request.user),
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _case_for(self, request: HttpRequest, object_id: str, *, supervisor: bool = False):
        """The case, or a redirect if it is gone; refused unless the agent may work it (or supervises)."""
        return self.service_form_object(
            request,
            object_id,
            allowed=lambda case: (
                is_supervisor(request.user) if supervisor else self.has_change_permission(request, case)
            ),
        )

    def _button(self, request: HttpRequest, object_id: str, service, done: str) -> HttpResponse:
        """A button on the case page (POST only): run ``service`` and go back to the case.

        ``done``, with the case's number, is logged and said.
        """
        case, gone = self._case_for(request, object_id)
        if gone is not None:
            return gone
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])

        def run(_data: dict) -> tuple[str, str]:
            service(case=case, actor=request.user)
            message = done % {"id": case.pk}
            return message, message

        # A form without fields: the button's POST is all there is.
        return self.service_form_submit(
            request, case, forms.Form(request.POST), run, refusal="page"
        ) or self.service_form_back(case)

    def assign_to_me_view(self, request: HttpRequest, object_id: str):
        """Take the case (POST from the case page)."""
        return self._button(request, object_id, case_assign, gettext("You took case #%(id)s."))

    def close_view(self, request: HttpRequest, object_id: str):
        """Close a ruled case (POST from the case page)."""
        return self._button(request, object_id, case_close, gettext("Case #%(id)s is closed; both parties are told."))

    def ask_for_info_view(self, request: HttpRequest, object_id: str):
        """Ask a party for more information; they have the policy's hours to answer."""
        case, gone = self._case_for(request, object_id)
        if gone is not None:
            return gone
        form = AskForInfoForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            case_ask_for_info(case=case, actor=request.user, party=data["party"], question=data["question"])
            done = gettext("The %(party)s is asked; both parties are told.") % {"party": ActorRole(data["party"]).label}
            return done, done

        hours = case.order.policy.case_info_hours
        intro = gettext("The party asked has %(hours)d hours to answer; without an answer the case goes back to open.")
        return self.service_form_page(
            request,
            case,
            form,
            run,
            ACTION_PAGE,
            title=gettext("Ask for information"),
            intro=intro % {"hours": hours},
            submit_label=gettext("Ask"),
        )

    def rule_view(self, request: HttpRequest, object_id: str):
        """Choose the ruling, see its consequences from the engine, confirm: then ``case_rule`` runs."""
        case, gone = self._case_for(request, object_id)
        if gone is not None:
            return gone
        if case.state not in (CaseState.OPEN, CaseState.AWAITING_INFO):
            return self.service_form_refuse(request, case, gettext("This case is not waiting for a ruling."))
        form = RuleForm(request.POST or None, case=case)

        def run(data: dict) -> tuple[str, str]:
            case_rule(
                case=case,
                actor=request.user,
                outcome=data["outcome"],
                fault=data["fault"],
                ruling=data["ruling"],
                cancel_order=data["cancel_order"],
                cancel_reason=data["cancel_reason"] or None,
                refund_percent=data["refund_percent"],
                credit=form.credit(),
                restrictions=form.restrictions(),
            )
            done = gettext("Case #%(id)s is ruled; both parties see the ruling and its reasons.") % {"id": case.pk}
            return done, done

        done = self.service_form_submit(request, case, form, run, confirm=True)
        if done is not None:
            return done
        preview = self._preview(case, form) if self.service_form_previewing(request, form) else None
        # Before choosing: what cancelling would do for each fault, as this order's policy has it.
        faults, choices = fault_choices(case.order) if preview is None and case.order.is_open else (None, None)
        return self.service_form_render(
            request,
            case,
            ACTION_PAGE,
            title=gettext("Rule on the case") if preview is None else gettext("Confirm the ruling"),
            form=form,
            preview=preview,
            faults=faults,
            choices=choices,
            submit_label=gettext("Show the consequences"),
            confirm_label=gettext("Confirm the ruling"),
        )

    def _preview(self, case: SupportCase, form: RuleForm) -> list[tuple[str, str]]:
        data, order = form.cleaned_data, case.order
        rows: list[tuple[str, str]] = [
            (gettext("outcome"), data["outcome"]),
            (gettext("fault"), str(Fault(data["fault"]).label)),
        ]
        if data["cancel_order"]:
            decision = cancellation_decide(
                order=order,
                actor_role=ActorRole.SUPPORT,
                ruling_fault=data["fault"],
                refund_percent=data["refund_percent"],
            )
            values = _outcome_values(order, decision)
            rows += [(str(label), value) for (_key, label), value in zip(OUTCOME_ROWS, values, strict=True)]
            rows.append((gettext("cancellation reason"), str(CancelReason(data["cancel_reason"]).label)))
        else:
            rows.append(
                (
                    gettext("the order"),
                    gettext("goes on (%(state)s); no money moves") % {"state": order.get_state_display()},
                )
            )
        people = {"client": order.client, "provider": order.provider}
        credit = [
            gettext("%(delta)+d for the %(role)s (%(who)s)")
            % {"delta": e.delta, "role": ActorRole(e.party).label, "who": people[e.party]}
            for e in form.credit()
        ]
        rows.append((gettext("further credit changes"), "; ".join(credit) or gettext("none")))
        restrictions = [
            gettext("%(who)s (%(role)s): %(kind)s")
            % {"who": people[e.party], "role": ActorRole(e.party).label, "kind": RestrictionKind(e.kind).label}
            for e in form.restrictions()
        ]
        rows.append((gettext("restrictions"), "; ".join(restrictions) or gettext("none")))
        rows.append((gettext("ruling and reasons, to both parties"), data["ruling"]))
        return rows

    def rule_appeal_view(self, request: HttpRequest, object_id: str):
        """A supervisor upholds or dismisses the appeal."""
        case, gone = self._case_for(request, object_id, supervisor=True)
        if gone is not None:
            return gone
        if case.state != CaseState.APPEALED:
            return self.service_form_refuse(request, case, gettext("This case has no appeal waiting."))
        form = RuleAppealForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            case_rule_appeal(case=case, actor=request.user, upheld=data["upheld"], ruling=data["ruling"])
            done = (
                gettext("Appeal upheld on case #%(id)s: the ruling's effects are reversed.")
                if data["upheld"]
                else gettext("Appeal dismissed on case #%(id)s.")
            ) % {"id": case.pk}
            return done, done

        return self.service_form_page(
            request,
            case,
            form,
            run,
            ACTION_PAGE,
            title=gettext("Decide the appeal"),
            intro=case.appeal,
            effects=_appeal_effects(case),
            submit_label=gettext("Decide"),
        )


def _appeal_effects(case: SupportCase) -> list[tuple[str, str]]:
    """What upholding the appeal would reverse."""
    cancellation = ruled_cancellation(case)
    if cancellation is None:
        money = gettext("the ruling did not cancel the order")
    elif cancellation.fee_to_platform > 0:
        money = gettext("the fee of %(amount)s %(cur)s is refunded to the provider") % {
            "amount": cancellation.fee_to_platform,
            "cur": case.order.currency,
        }
    else:
        money = gettext("no fee was charged; the refund and compensation stay as they were")
    events = list(ruling_credit_events(case).select_related("user"))
    credit = "; ".join(f"{e.delta:+d} {e.user}" for e in events) or gettext("none")
    restrictions = "; ".join(
        f"{r.user}: {r.get_kind_display()}" for r in ruling_restrictions(case).select_related("user")
    ) or gettext("none")
    return [
        (gettext("ruling"), case.ruling),
        (gettext("fee"), money),
        (gettext("credit changes reversed by opposite events"), credit),
        (gettext("restrictions lifted"), restrictions),
    ]
