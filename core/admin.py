"""The back office's shared pieces: read-only admin mixins and the transition log."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.models import TransitionLog

admin.site.site_header = _("Gigfair back office")
admin.site.site_title = _("Gigfair back office")
admin.site.index_title = _("Support")


class ReadOnlyAdminMixin:
    """Staff may look, never add, change or delete: these rows are evidence or money.

    Changes happen through the services (and, later, admin actions that call them).
    """

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """An inline that only shows rows: no add row, no delete box, no form fields."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


def admin_link(obj, label: str | None = None) -> str:
    """A link to ``obj``'s admin page, or its plain label if it has none."""
    if obj is None:
        return "—"
    text = label if label is not None else str(obj)
    try:
        url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=(obj.pk,))
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)


class TransitionLogInline(ReadOnlyInlineMixin, GenericTabularInline):
    """The state changes of the object on the page, oldest first."""

    model = TransitionLog
    ct_field = "content_type"
    ct_fk_field = "object_id"
    fields = ("at", "transition", "from_state", "to_state", "actor", "actor_role", "reason")
    readonly_fields = fields
    ordering = ("at", "id")
    verbose_name = _("transition")
    verbose_name_plural = _("transition log")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor")


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "subject_link", "transition", "from_state", "to_state", "actor", "actor_role", "reason")
    list_filter = ("content_type", "actor_role", "at")
    list_select_related = ("content_type", "actor")
    search_fields = ("object_id__exact", "transition", "reason", "actor__username")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    fields = (
        "at",
        "subject_link",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "actor_role",
        "reason",
    )
    readonly_fields = fields

    @admin.display(description=_("subject"))
    def subject_link(self, obj: TransitionLog) -> str:
        # Built from the content type (cached by Django) and the id: following the generic
        # foreign key would cost a query per row.
        ct = obj.content_type
        label = f"{ct.name} #{obj.object_id}"
        try:
            url = reverse(f"admin:{ct.app_label}_{ct.model}_change", args=(obj.object_id,))
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)
