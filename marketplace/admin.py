"""The back office for people and listings."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin

from .models import Listing, Notification, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin (password change, permissions) plus Gigfair's profile fields."""

    list_display = ("username", "display_name", "email", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "date_joined")
    search_fields = ("username", "email", "display_name", "first_name", "last_name")
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Profile"), {"fields": ("display_name", "email", "first_name", "last_name", "bio")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "display_name", "password1", "password2"),
            },
        ),
    )


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "owner", "price", "currency", "is_active", "created_at")
    list_display_links = ("title",)
    list_filter = ("kind", "is_active", "currency", "created_at")
    search_fields = ("title", "owner__username", "owner__display_name")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    autocomplete_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("kind", "owner", "title", "description", "is_active")}),
        (_("Price"), {"fields": ("price", "currency", "min_credit_score")}),
        (_("Service terms"), {"fields": ("delivery_days", "revisions")}),
        (_("Shift"), {"fields": ("starts_at", "ends_at", "location")}),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # Orders copy the listing's terms when they are made, but the kind and owner decide
        # who is client and who is provider: they are fixed once the listing exists.
        if obj is not None:
            return (*self.readonly_fields, "kind", "owner")
        return self.readonly_fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What each user was told, and when: evidence for support."""

    list_display = ("created_at", "user", "kind", "title", "order", "read_at", "emailed_at")
    list_filter = ("kind", "created_at")
    search_fields = ("user__username", "title", "order__id__exact")
    list_select_related = ("user", "order")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Notification._meta.fields]
