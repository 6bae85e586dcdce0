"""The back office for orders' message threads: every thread read-only (it is evidence), and the
queue of reported messages.

The one thing staff do here is resolve a report, in a custom view that validates a note and
calls ``message_report_resolve``, the way Django's ``UserAdmin.user_change_password`` runs its
form. ``orders.admin`` imports this module, so admin autodiscovery registers it.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin, ServiceFormAdminMixin, admin_link, bulk_form_action

from .forms import MessageReportResolveForm
from .models import Message, MessageAttachment, MessageReport
from .threads import message_report_resolve


class MessageAttachmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MessageAttachment
    fields = ("download", "content_type", "size_shown")
    readonly_fields = fields

    @admin.display(description=_("file"))
    def download(self, obj: MessageAttachment) -> str:
        # Through the access-checked view (support may open every file), never a media URL.
        return format_html('<a href="{}">{}</a>', reverse("message_attachment", args=(obj.pk,)), obj.name)


class MessageReportInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = MessageReport
    fields = ("report_link", "created_at", "reporter", "reason", "note", "resolved_at", "resolution_note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("reporter")

    @admin.display(description=_("report"))
    def report_link(self, obj: MessageReport) -> str:
        return admin_link(obj, f"#{obj.pk}")


class ReportedFilter(admin.SimpleListFilter):
    title = _("reported")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return (("open", _("report unresolved")), ("yes", _("reported")), ("no", _("not reported")))

    def queryset(self, request, queryset):
        reports = MessageReport.objects.filter(message=OuterRef("pk"))
        if self.value() == "open":
            return queryset.filter(Exists(reports.filter(resolved_at__isnull=True)))
        if self.value() == "yes":
            return queryset.filter(Exists(reports))
        if self.value() == "no":
            return queryset.exclude(Exists(reports))
        return queryset


@admin.register(Message)
class MessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every order's thread, exactly as sent: evidence for support, never changed."""

    list_display = ("created_at", "order_link", "author", "excerpt", "files", "report_count")
    list_filter = (ReportedFilter, "created_at")
    search_fields = ("order__id__exact", "author__username", "author__display_name")
    search_help_text = _("Order number, or the author's username or display name.")
    list_select_related = ("order", "author")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = ("order_link", "author", "created_at", "body")
    readonly_fields = fields
    inlines = (MessageAttachmentInline, MessageReportInline)

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(n_files=Count("attachments", distinct=True), n_reports=Count("reports", distinct=True))
        )

    @admin.display(description=_("order"), ordering="order")
    def order_link(self, obj: Message) -> str:
        return admin_link(obj.order, f"#{obj.order_id}")

    @admin.display(description=_("text"))
    def excerpt(self, obj: Message) -> str:
        return Truncator(obj.body).chars(80)

    @admin.display(description=_("files"), ordering="n_files")
    def files(self, obj: Message) -> int:
        return obj.n_files

    @admin.display(description=_("reports"), ordering="n_reports")
    def report_count(self, obj: Message) -> int:
        return obj.n_reports


class ReportStatusFilter(admin.SimpleListFilter):
    """The queue opens on unresolved reports; "all" shows every one."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (("unresolved", _("unresolved")), ("resolved", _("resolved")), ("all", _("all")))

    def choices(self, changelist):
        value = self.value() or "unresolved"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value() or "unresolved"
        if value == "unresolved":
            return queryset.filter(resolved_at__isnull=True)
        if value == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(MessageReport)
class MessageReportAdmin(ServiceFormAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The queue of reported messages: read the message in its thread, then resolve with a note."""

    list_display = ("created_at", "reason", "reporter", "message_excerpt", "order_link", "resolved_at", "resolve")
    list_filter = (ReportStatusFilter, "reason", "created_at")
    search_fields = ("message__order__id__exact", "reporter__username", "message__author__username")
    search_help_text = _("Order number, or the username of the reporter or of the message's author.")
    ordering = ("created_at", "id")  # oldest first: a queue
    actions = ("resolve_selected",)
    fields = (
        "order_link",
        "message_author",
        "message_body",
        "reporter",
        "reason",
        "note",
        "created_at",
        "resolved_at",
        "resolved_by",
        "resolution_note",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        # Here rather than list_select_related: the change page needs the same joins.
        return (
            super().get_queryset(request).select_related("reporter", "resolved_by", "message__author", "message__order")
        )

    @admin.display(description=_("order"))
    def order_link(self, obj: MessageReport) -> str:
        return admin_link(obj.message.order, f"#{obj.message.order_id}")

    @admin.display(description=_("message"))
    def message_excerpt(self, obj: MessageReport) -> str:
        return admin_link(obj.message, Truncator(obj.message.body).chars(60))

    @admin.display(description=_("author of the message"))
    def message_author(self, obj: MessageReport) -> str:
        return admin_link(obj.message.author)

    @admin.display(description=_("message"))
    def message_body(self, obj: MessageReport) -> str:
        return format_html(
            '<div class="pre-wrap">{}</div><a href="{}">{}</a>',
            obj.message.body,
            reverse("admin:orders_message_change", args=(obj.message_id,)),
            gettext("the message with its attachments"),
        )

    @admin.display(description="")
    def resolve(self, obj: MessageReport) -> str:
        if obj.resolved_at is not None:
            return "✓"
        url = reverse("admin:orders_messagereport_resolve", args=(obj.pk,))
        return format_html('<a href="{}">{}</a>', url, gettext("Resolve…"))

    # --- resolving a report ---

    @admin.action(description=_("Resolve them with one note…"), permissions=("resolve",))
    def resolve_selected(self, request: HttpRequest, queryset):
        """Reports of one thing (spam from one account, say) resolved together, each with the note."""
        return bulk_form_action(
            self,
            request,
            queryset.filter(resolved_at__isnull=True),
            form_class=MessageReportResolveForm,
            title=gettext("Resolve reported messages"),
            intro=gettext("Each reporter is told the report was looked at. Reports resolved already are left out."),
            submit_label=gettext("Resolve"),
            run=lambda report, data: message_report_resolve(report=report, actor=request.user, note=data["note"]),
            done=lambda n: ngettext("%(n)d report resolved.", "%(n)d reports resolved.", n) % {"n": n},
        )

    def get_urls(self):
        return [
            self.service_form_path("resolve", self.resolve_view),  # orders_messagereport_resolve
            *super().get_urls(),
        ]

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("orders.change_messagereport")

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        context["can_resolve"] = obj is not None and obj.resolved_at is None and self.has_resolve_permission(request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def resolve_view(self, request: HttpRequest, object_id: str):
        """Mark a report resolved with a note: ``message_report_resolve`` runs."""
        report, gone = self.service_form_object(
            request, object_id, allowed=lambda _obj: self.has_resolve_permission(request)
        )
        if gone is not None:
            return gone
        if report.resolved_at is not None:
            return self.service_form_refuse(
                request, report, gettext("This report is already resolved."), level=messages.WARNING
            )
        form = MessageReportResolveForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            message_report_resolve(report=report, actor=request.user, note=data["note"])
            return gettext("Resolved: %(note)s") % {"note": data["note"]}, gettext("The report is resolved.")

        return self.service_form_page(
            request,
            report,
            form,
            run,
            "admin/orders/messagereport/resolve.html",
            title=gettext("Resolve a reported message"),
            refusal="page",
            # Resolved, staff go back to the queue for the next report.
            success_url=reverse("admin:orders_messagereport_changelist"),
        )
