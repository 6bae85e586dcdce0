"""The back office for credit: the append-only event ledger behind every score."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from core.admin import ReadOnlyAdminMixin

from .models import CreditEvent


@admin.register(CreditEvent)
class CreditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a correction is a new event (a reversal), never an edit."""

    list_display = ("created_at", "user", "delta", "reason", "detail", "order", "actor", "reverses")
    list_filter = ("reason", "created_at")
    search_fields = ("user__username", "order__id__exact", "detail")
    list_select_related = ("user", "order", "actor", "reverses__user")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in CreditEvent._meta.fields]
