"""The back office for credit's restrictions, and what the credit pages of the admin share.

Nothing here is edited by hand. What staff do goes through custom admin views that validate a
form and call one service, in the way Django's ``UserAdmin.user_change_password`` runs its form
(the shared plumbing is ``core.admin.ServiceFormAdminMixin``): here, lifting a restriction
(``restriction_lift``). The accounts and the event ledger show orders' completion rate and
disputes' responsiveness beside the score, so their admin is in the composition layer
(``portal.admin``).
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import IsSetFilter, ReadOnlyAdminMixin, ServiceFormAdminMixin

from .forms import RestrictionLiftForm
from .models import CreditAccount, Restriction
from .services import restriction_lift

ACTION_FORM = "admin/credit/action_form.html"


def changelist_for_user(model, user_id: int) -> str:
    """The admin list of ``model`` (a credit model) filtered to one user's rows."""
    url = reverse(f"admin:credit_{model._meta.model_name}_changelist")
    return f"{url}?user__id__exact={user_id}"


def account_rows(account: CreditAccount) -> list[tuple[str, object]]:
    """Who an action page is about: the facts shown above its form."""
    return [
        (gettext("user"), account.user),
        (gettext("credit score"), account.score),
        (gettext("level"), account.get_level_display()),
    ]


# --- Restrictions ---------------------------------------------------------------------------


class ActiveFilter(IsSetFilter):
    title = _("status")
    parameter_name = "active"
    field = "lifted_at"
    yes_when_set = False
    labels = (_("active"), _("lifted"))


@admin.register(Restriction)
class RestrictionAdmin(ServiceFormAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rights taken away, by a rule or by support; a lifted one stays as history."""

    list_display = ("user", "kind", "is_active", "automatic", "created_at", "created_by", "lifted_at", "lifted_by")
    list_filter = (ActiveFilter, "kind", "automatic", "created_at")
    search_fields = ("user__username",)
    search_help_text = _("Username.")
    list_select_related = ("user", "created_by", "lifted_by")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "user",
        "kind",
        "reason",
        "restores",
        "automatic",
        "created_by",
        "created_at",
        "lifted_at",
        "lifted_by",
        "lift_reason",
    )
    readonly_fields = fields

    @admin.display(description=_("active"), boolean=True, ordering="lifted_at")
    def is_active(self, obj: Restriction) -> bool:
        return obj.lifted_at is None

    # --- lifting ---

    def get_urls(self):
        return [
            self.service_form_path("lift", self.lift_view),  # credit_restriction_lift
            *super().get_urls(),
        ]

    def has_lift_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("credit.change_restriction")

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        context["can_lift"] = obj is not None and obj.lifted_at is None and self.has_lift_permission(request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def lift_view(self, request: HttpRequest, object_id: str):
        """Give the right back, with a reason kept in the history: ``restriction_lift``."""
        restriction, gone = self.service_form_object(
            request, object_id, allowed=lambda _obj: self.has_lift_permission(request)
        )
        if gone is not None:
            return gone
        if restriction.lifted_at is not None:
            return self.service_form_refuse(request, restriction, gettext("This restriction was already lifted."))
        form = RestrictionLiftForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            reason = data["reason"]
            restriction_lift(restriction=restriction, actor=request.user, reason=reason)
            return (
                gettext("Lifted: %(reason)s") % {"reason": reason},
                gettext("%(user)s has the right back: %(kind)s no longer applies.")
                % {"user": restriction.user, "kind": restriction.get_kind_display()},
            )

        return self.service_form_page(
            request,
            restriction,
            form,
            run,
            ACTION_FORM,
            title=gettext("Lift restriction"),
            rows=[
                (gettext("user"), restriction.user),
                (gettext("restriction"), restriction.get_kind_display()),
                (gettext("why"), restriction.reason),
                (gettext("what restores access"), restriction.restores),
            ],
            intro=gettext("The right comes back at once; the restriction stays in the history with your reason."),
            submit_label=gettext("Lift the restriction"),
        )
