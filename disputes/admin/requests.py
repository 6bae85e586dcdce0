"""The back office for resolution requests: a read-only queue with its filters and each request's log.

Requests move only through ``disputes.services.requests`` (the parties) and the expiry sweep
(silence); staff look here to see what was asked, when it must be answered and what happened.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, TransitionLogInline, admin_link
from disputes.models import RequestState, RequestType, ResolutionRequest


class OverdueFilter(admin.SimpleListFilter):
    """Open requests whose window has passed: the expiry sweep should have ended them."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", _("open past the answer time")), ("no", _("not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        overdue = {"state": RequestState.OPEN, "respond_by__lte": timezone.now()}
        if self.value() == "yes":
            return queryset.filter(**overdue)
        if self.value() == "no":
            return queryset.exclude(**overdue)
        return queryset


@admin.register(ResolutionRequest)
class ResolutionRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "order_link",
        "type",
        "state",
        "resolution",
        "author",
        "author_role",
        "respond_by",
        "resolved_at",
        "created_at",
    )
    list_display_links = ("id",)
    list_filter = ("type", "state", "resolution", OverdueFilter, "author_role", "created_at")
    search_fields = ("id__exact", "order__id__exact", "author__username", "message")
    search_help_text = _("Request number, order number, the author's username, or words of the message.")
    date_hierarchy = "created_at"
    list_select_related = ("order", "author")
    ordering = ("-created_at", "-id")
    inlines = (TransitionLogInline,)
    fieldsets = (
        (None, {"fields": ("type", "state", "resolution", "order_link", "author", "author_role")}),
        (_("What was asked"), {"fields": ("reason", "message", "refund_percent", "new_due_at")}),
        (
            _("Window and answer"),
            {"fields": ("created_at", "respond_by", "reminder_sent_at", "responded_by", "response_message")},
        ),
        (_("Outcome"), {"fields": ("resolved_at",)}),
    )
    readonly_fields = (
        "type",
        "state",
        "resolution",
        "order_link",
        "author",
        "author_role",
        "reason",
        "message",
        "refund_percent",
        "new_due_at",
        "old_starts_at",
        "old_ends_at",
        "old_price",
        "new_starts_at",
        "new_ends_at",
        "new_price",
        "created_at",
        "respond_by",
        "reminder_sent_at",
        "responded_by",
        "response_message",
        "resolved_at",
    )

    def get_fieldsets(self, request, obj=None):
        """A change of terms shows the shift's terms before and as proposed instead of the cancel fields."""
        if obj is None or obj.type != RequestType.CHANGE_TERMS:
            return self.fieldsets
        asked = (
            "message",
            ("old_starts_at", "new_starts_at"),
            ("old_ends_at", "new_ends_at"),
            ("old_price", "new_price"),
        )
        fieldsets = list(self.fieldsets)
        fieldsets[1] = (fieldsets[1][0], {"fields": asked})
        return fieldsets

    @admin.display(description=_("order"), ordering="order")
    def order_link(self, obj: ResolutionRequest) -> str:
        return admin_link(obj.order, f"#{obj.order_id}")
