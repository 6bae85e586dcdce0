"""The back office for credit accounts and their event ledger: admin pages that combine apps.

An account's page shows the provider's completion rate (counted by orders) and responsiveness
(from disputes) beside the score, and reversing an event that came from a cancellation points
to upholding the appeal on the cancellation instead; so these pages live in the composition
layer, above the apps they show. The models are credit's (``credit_creditaccount``,
``credit_creditevent``); restrictions have their admin in ``credit.admin``.

Nothing here is edited by hand: a score is the replay of its events, and an event is never
changed. What staff do goes through custom admin views that validate a form and call one
service, in the way Django's ``UserAdmin.user_change_password`` runs its form (the shared
plumbing is ``core.admin.ServiceFormAdminMixin``): adjusting a score with a reason
(``credit_adjust``), restricting an account (``restriction_impose``), reversing an event on
appeal (``credit_event_reverse``).
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, F, OuterRef
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import IsSetFilter, ReadOnlyAdminMixin, ServiceFormAdminMixin, admin_link
from credit.admin import ACTION_FORM, account_rows, changelist_for_user
from credit.forms import CreditAdjustForm, CreditEventReverseForm, RestrictForm
from credit.models import CreditAccount, CreditEvent, CreditReason, Restriction, RestrictionKind
from credit.selectors import credit_events_for
from credit.services import credit_account_open, credit_adjust, credit_event_reverse, restriction_impose
from disputes.selectors.requests import unanswered_update_requests_for
from orders.completion import completion_rate_for
from orders.selectors import cancellation_in_force, policy_in_force

# The newest events shown on an account's page; the event list has them all.
ACCOUNT_EVENTS_SHOWN = 50
# --- Accounts -------------------------------------------------------------------------------


class RestrictedFilter(admin.SimpleListFilter):
    title = _("restricted")
    parameter_name = "restricted"

    def lookups(self, request, model_admin):
        return (("yes", _("yes")), ("no", _("no")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(_restricted=True)
        if self.value() == "no":
            return queryset.filter(_restricted=False)
        return queryset


@admin.register(CreditAccount)
class CreditAccountAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    """A user's score, level and window counts, with their events and restrictions below.

    The score is read-only: it equals the replay of the events, and moves only through
    "Adjust credit". An account is opened by hand only for a user who has none yet.
    """

    list_display = (
        "user",
        "score",
        "level",
        "completed_in_window",
        "cancelled_in_window",
        "restricted",
        "level_computed_at",
        "updated_at",
    )
    list_filter = ("level", RestrictedFilter)
    search_fields = ("user__username",)
    search_help_text = _("Username.")
    list_select_related = ("user",)
    ordering = ("user__username",)
    autocomplete_fields = ("user",)
    readonly_fields = (
        "user_link",
        "score",
        "level",
        "completion_rate_now",
        "responsiveness",
        "completed_in_window",
        "cancelled_in_window",
        "level_computed_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest):
        active = Restriction.objects.filter(user_id=OuterRef("user_id"), lifted_at__isnull=True)
        return super().get_queryset(request).annotate(_restricted=Exists(active))

    def get_fields(self, request: HttpRequest, obj=None):
        return ("user",) if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return () if obj is None else self.readonly_fields

    # The page is read-only: the score moves only through the custom views below.
    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CreditAccount, form, change: bool) -> None:
        # Only reached from the add page (the change page is read-only): the service opens it.
        account = credit_account_open(user=form.cleaned_data["user"])
        obj.pk, obj._state.adding, obj._state.db = account.pk, False, account._state.db

    @admin.display(description=_("user"))
    def user_link(self, obj: CreditAccount) -> str:
        return admin_link(obj.user)

    @admin.display(description=_("completion rate now"))
    def completion_rate_now(self, obj: CreditAccount) -> str:
        rate = completion_rate_for(obj.user)
        raw = f"{rate.raw_percent} %" if rate.raw_percent is not None else "—"
        return gettext(
            "%(smoothed)s %% smoothed (as if starting with %(prior)d completed orders); raw %(raw)s of %(sample)d: "
            "%(completed)d completed, %(cancelled)d cancellations that count, in the last %(days)d days"
        ) % {
            "smoothed": rate.smoothed_percent,
            "prior": rate.prior,
            "raw": raw,
            "sample": rate.sample,
            "completed": rate.completed,
            "cancelled": rate.counted_cancellations,
            "days": rate.window_days,
        }

    @admin.display(description=_("Responsiveness"))
    def responsiveness(self, obj: CreditAccount) -> str:
        policy = policy_in_force()
        n = unanswered_update_requests_for(obj.user, policy=policy)
        days = policy.completion_window_days
        return ngettext(
            "%(n)d update request left unanswered in the last %(days)d days",
            "%(n)d update requests left unanswered in the last %(days)d days",
            n,
        ) % {"n": n, "days": days}

    @admin.display(description=_("restricted"), boolean=True, ordering="_restricted")
    def restricted(self, obj: CreditAccount) -> bool:
        return obj._restricted

    # --- what the page shows below the numbers ---

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            events = list(credit_events_for(obj.user).annotate(reversal_id=F("reversed_by__id"))[:ACCOUNT_EVENTS_SHOWN])
            context.update(
                events=events,
                events_total=CreditEvent.objects.filter(user_id=obj.user_id).count(),
                events_url=changelist_for_user(CreditEvent, obj.user_id),
                restrictions=list(
                    Restriction.objects.filter(user_id=obj.user_id, lifted_at__isnull=True)
                    .select_related("created_by")
                    .order_by("created_at")
                ),
                restrictions_url=changelist_for_user(Restriction, obj.user_id),
                can_adjust=self.has_adjust_permission(request),
                can_restrict=self.has_restrict_permission(request),
                can_lift=request.user.has_perm("credit.change_restriction"),
                can_reverse=request.user.has_perm("credit.change_creditevent"),
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- adjusting and restricting (like UserAdmin.user_change_password) ---

    def get_urls(self):
        return [
            self.service_form_path("adjust", self.adjust_view),  # credit_creditaccount_adjust
            self.service_form_path("restrict", self.restrict_view),  # credit_creditaccount_restrict
            *super().get_urls(),
        ]

    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("credit.change_creditaccount")

    def has_restrict_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("credit.add_restriction")

    def adjust_view(self, request: HttpRequest, object_id: str):
        """A manual change of the score with a required reason: ``credit_adjust``."""
        account, gone = self.service_form_object(
            request, object_id, allowed=lambda _obj: self.has_adjust_permission(request)
        )
        if gone is not None:
            return gone
        form = CreditAdjustForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            delta, reason = data["delta"], data["reason"]
            event = credit_adjust(user=account.user, delta=delta, actor=request.user, reason=reason)
            return (
                gettext("Credit adjusted by %(delta)+d: %(reason)s") % {"delta": delta, "reason": reason},
                gettext("The score of %(user)s moved by %(applied)+d to %(score)d; they see your reason.")
                % {"user": account.user, "applied": event.applied, "score": event.score_after},
            )

        return self.service_form_page(
            request,
            account,
            form,
            run,
            ACTION_FORM,
            title=gettext("Adjust credit"),
            rows=account_rows(account),
            intro=gettext(
                "The change is a new event in the user's ledger, with your reason beside it on their credit "
                "page. Events are never edited: to undo this one later, reverse it."
            ),
            submit_label=gettext("Adjust the score"),
        )

    def restrict_view(self, request: HttpRequest, object_id: str):
        """Take a right away, saying why and what restores it: ``restriction_impose``."""
        account, gone = self.service_form_object(
            request, object_id, allowed=lambda _obj: self.has_restrict_permission(request)
        )
        if gone is not None:
            return gone
        active = set(
            Restriction.objects.filter(user_id=account.user_id, lifted_at__isnull=True).values_list("kind", flat=True)
        )
        kinds = [kind for kind in RestrictionKind.values if kind not in active]
        if not kinds:
            return self.service_form_refuse(
                request, account, gettext("Every right this account has is already restricted.")
            )
        form = RestrictForm(request.POST or None, kinds=kinds)

        def run(data: dict) -> tuple[str, str]:
            restriction = restriction_impose(
                user_id=account.user_id,
                kind=data["kind"],
                reason=data["reason"],
                restores=data["restores"],
                actor=request.user,
            )
            label = restriction.get_kind_display()
            return (
                gettext("Restricted: %(kind)s.") % {"kind": label},
                gettext("%(user)s: %(kind)s, until lifted; they see why and what restores access.")
                % {"user": account.user, "kind": label},
            )

        return self.service_form_page(
            request,
            account,
            form,
            run,
            ACTION_FORM,
            title=gettext("Restrict"),
            rows=account_rows(account),
            intro=gettext(
                "The restriction holds until support lifts it. The user sees why and what restores access on "
                "their credit page and in every refusal."
            ),
            submit_label=gettext("Restrict the account"),
        )


# --- Events ---------------------------------------------------------------------------------


class ReversedFilter(IsSetFilter):
    title = _("reversed on appeal")
    parameter_name = "reversed"
    field = "reversed_by"


# Events that came from a cancellation: an appeal upheld on the cancellation also refunds its
# fee and takes it out of the completion rate, so the reversal page points there.
_CANCELLATION_REASONS = (CreditReason.CANCELLATION, CreditReason.NO_SHOW, CreditReason.RULING)


@admin.register(CreditEvent)
class CreditEventAdmin(ServiceFormAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a correction is a new event (a reversal), never an edit."""

    list_display = (
        "created_at",
        "user",
        "delta",
        "applied",
        "score_after",
        "reason",
        "detail",
        "order",
        "actor",
        "reverses",
        "is_reversed",
    )
    list_filter = ("reason", "created_at", ReversedFilter)
    search_fields = ("user__username", "order__id__exact", "detail")
    search_help_text = _("Username, order number, or words of the detail.")
    list_select_related = ("user", "order", "actor", "reverses__user")
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(_reversal_id=F("reversed_by__id"))

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in CreditEvent._meta.fields]

    @admin.display(description=_("reversed on appeal"), boolean=True)
    def is_reversed(self, obj: CreditEvent) -> bool:
        return obj._reversal_id is not None

    # --- reversing on appeal ---

    def get_urls(self):
        return [
            self.service_form_path("reverse", self.reverse_view),  # credit_creditevent_reverse
            *super().get_urls(),
        ]

    def has_reverse_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("credit.change_creditevent")

    @staticmethod
    def _refusal(event: CreditEvent) -> str | None:
        """Why ``event`` cannot be reversed, or None."""
        if event.reason == CreditReason.REVERSAL:
            return gettext("A reversal is not reversed again; adjust the credit with a reason instead.")
        if event._reversal_id is not None:
            return gettext("This event was already reversed on appeal.")
        return None

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        context["can_reverse"] = obj is not None and self._refusal(obj) is None and self.has_reverse_permission(request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def reverse_view(self, request: HttpRequest, object_id: str):
        """Undo what the event changed with a new event pointing at it: ``credit_event_reverse``."""
        event, gone = self.service_form_object(
            request, object_id, allowed=lambda _obj: self.has_reverse_permission(request)
        )
        if gone is not None:
            return gone
        refusal = self._refusal(event)
        if refusal is not None:
            return self.service_form_refuse(request, event, refusal)
        form = CreditEventReverseForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            ruling = data["reason"]
            reversal = credit_event_reverse(event=event, actor=request.user, detail=ruling)
            return (
                gettext("Reversed on appeal: %(ruling)s") % {"ruling": ruling},
                gettext("Reversed: %(applied)+d for %(user)s, whose score is now %(score)d.")
                % {"applied": reversal.applied, "user": event.user, "score": reversal.score_after},
            )

        cancellation = None
        if event.order_id and event.reason in _CANCELLATION_REASONS:
            cancellation = cancellation_in_force(order_id=event.order_id)
        what = event.get_reason_display()
        rows = [
            (gettext("user"), event.user),
            (gettext("event"), f"{what}: {event.detail_text}" if event.detail else what),
            (gettext("change applied"), f"{event.applied:+d}"),
            (gettext("reversing it"), f"{-event.applied:+d} " + gettext("(the score stays between 0 and 100)")),
        ]
        return self.service_form_page(
            request,
            event,
            form,
            run,
            ACTION_FORM,
            title=gettext("Reverse on appeal"),
            rows=rows,
            intro=gettext("The reversal is a new event pointing at this one; the user's history shows both."),
            note=(
                gettext(
                    "This event came from the cancellation of order #%(id)s. Upholding the appeal on the "
                    "cancellation instead also refunds its fee and takes it out of the completion rate."
                )
                % {"id": event.order_id}
                if cancellation
                else None
            ),
            note_url=(
                reverse("admin:orders_cancellation_uphold_appeal", args=(cancellation.pk,)) if cancellation else None
            ),
            note_link=gettext("Uphold the appeal on the cancellation"),
            submit_label=gettext("Reverse the event"),
        )
