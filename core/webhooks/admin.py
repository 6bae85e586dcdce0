"""The back office for partner webhooks: endpoints and deliveries; the signing secret is never on a page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.admin import ReadOnlyAdminMixin
from core.models import WebhookDelivery, WebhookEndpoint

from .services import webhook_deliveries_redeliver, webhook_endpoint_update


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("url", "owner", "active", "failure_count", "disabled_at", "last_success_at", "created_at")
    list_filter = ("active", "created_at")
    list_select_related = ("owner",)
    search_fields = ("owner__username", "url")
    ordering = ("-created_at", "-id")
    # Listed by hand, without "secret": staff never see a partner's signing secret.
    fields = (
        "owner",
        "url",
        "description",
        "events",
        "active",
        "failure_count",
        "disabled_at",
        "last_success_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    actions = ("pause", "resume")

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("core.change_webhookendpoint")

    def _set_active(self, request: HttpRequest, queryset, active: bool) -> int:
        changed = 0
        for endpoint in queryset.order_by("pk"):
            if endpoint.active != active:
                webhook_endpoint_update(endpoint=endpoint, active=active)
                self.log_change(request, endpoint, "resumed" if active else "paused")
                changed += 1
        return changed

    @admin.action(description=_("Pause the selected endpoints"), permissions=("manage",))
    def pause(self, request: HttpRequest, queryset) -> None:
        n = self._set_active(request, queryset, False)
        self.message_user(request, ngettext("%(n)d endpoint paused.", "%(n)d endpoints paused.", n) % {"n": n})

    @admin.action(description=_("Resume the selected endpoints"), permissions=("manage",))
    def resume(self, request: HttpRequest, queryset) -> None:
        n = self._set_active(request, queryset, True)
        self.message_user(request, ngettext("%(n)d endpoint resumed.", "%(n)d endpoints resumed.", n) % {"n": n})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "event_type",
        "endpoint_url",
        "owner",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    )
    list_filter = ("status", "event_type", "created_at")
    list_select_related = ("endpoint__owner",)
    search_fields = ("endpoint__owner__username", "endpoint__url", "event_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = (
        "event_id",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
        "payload",
    )
    readonly_fields = fields
    actions = ("redeliver",)

    @admin.display(description=_("endpoint"), ordering="endpoint__url")
    def endpoint_url(self, obj: WebhookDelivery) -> str:
        return obj.endpoint.url

    @admin.display(description=_("owner"), ordering="endpoint__owner__username")
    def owner(self, obj: WebhookDelivery) -> str:
        return obj.endpoint.owner.username

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("core.change_webhookdelivery")

    @admin.action(description=_("Redeliver (from the first attempt)"), permissions=("redeliver",))
    def redeliver(self, request: HttpRequest, queryset) -> None:
        n = webhook_deliveries_redeliver(deliveries=queryset)
        self.message_user(
            request,
            ngettext(
                "%(n)d delivery is sent again.",
                "%(n)d deliveries are sent again.",
                n,
            )
            % {"n": n},
            messages.SUCCESS,
        )
