"""The back office for orders, policy versions and the money ledger.

Orders and money are read-only here: state moves only through the services (``FSMField``
is protected), and a ledger row is evidence. Later issues add admin actions that call
services, in the way Django's ``UserAdmin.user_change_password`` runs a form.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin
from django.db.models import Exists, OuterRef, Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, ReadOnlyInlineMixin, TransitionLogInline, admin_link

from .models import (
    Account,
    Cancellation,
    CancellationRule,
    Delivery,
    DeliveryFile,
    LedgerEntry,
    LedgerTransaction,
    Order,
    Payment,
    Policy,
    Refund,
)
from .services import RULE_FIELDS

ZERO = Decimal("0.00")


def _entries_table(entries) -> str:
    """Entries of one ledger transaction as lines: account, then the signed amount."""
    if not entries:
        return "—"
    return format_html(
        "<table>{}</table>",
        format_html_join(
            "",
            '<tr><td style="padding:0 1em 0 0">{}</td><td style="text-align:right">{}</td></tr>',
            ((entry.account, entry.amount) for entry in entries),
        ),
    )


def _entries_prefetch() -> Prefetch:
    return Prefetch("entries", queryset=LedgerEntry.objects.select_related("account__user").order_by("id"))


# --- Orders ---------------------------------------------------------------------------------


class DeliveryInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Delivery
    fields = ("created_at", "message", "revision_request", "files_list")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related("files")

    @admin.display(description=_("files"))
    def files_list(self, obj: Delivery) -> str:
        files: list[DeliveryFile] = list(obj.files.all())
        if not files:
            return "—"
        return format_html_join(
            format_html("<br>"),
            '<a href="{}">{}</a> ({}, {} bytes)',
            ((f.file.url, f.name, f.content_type, f.size) for f in files),
        )


class PaymentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Payment
    fields = ("created_at", "status", "amount", "currency", "method", "gateway", "reference")
    readonly_fields = fields


class LedgerTransactionInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = LedgerTransaction
    fields = ("created_at", "kind", "memo", "entries_list")
    readonly_fields = fields
    verbose_name_plural = _("ledger transactions (debit +, credit −)")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).prefetch_related(_entries_prefetch())

    @admin.display(description=_("entries"))
    def entries_list(self, obj: LedgerTransaction) -> str:
        return _entries_table(list(obj.entries.all()))


class CancellationInline(ReadOnlyInlineMixin, admin.StackedInline):
    model = Cancellation
    fields = (
        ("created_at", "actor", "actor_role"),
        ("path", "tier", "fault", "policy"),
        ("reason", "message"),
        ("refund_to_client", "compensation_to_provider", "retained_by_platform", "fee_to_platform"),
        ("credit_delta", "credit_party", "counts_against_completion_rate", "counts_as_complaint"),
        ("reversed_at", "reversed_by", "reversal_reason"),
    )
    readonly_fields = tuple(name for row in fields for name in row)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor", "policy", "reversed_by")


class RefundInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Refund
    fields = (
        "created_at",
        "amount",
        "currency",
        "status",
        "settle_after",
        "settled_at",
        "attempts",
        "gateway_reference",
        "failure_reason",
    )
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "title",
        "kind",
        "state",
        "client",
        "provider",
        "amount",
        "due_or_starts",
        "created_at",
    )
    list_display_links = ("id", "title")
    list_filter = ("state", "kind", "created_at", "policy")
    search_fields = ("id__exact", "title", "client__username", "provider__username")
    search_help_text = _("Order number, title, or the username of the client or the provider.")
    date_hierarchy = "created_at"
    list_select_related = ("client", "provider")
    ordering = ("-created_at", "-id")
    inlines = (
        TransitionLogInline,
        DeliveryInline,
        CancellationInline,
        PaymentInline,
        RefundInline,
        LedgerTransactionInline,
    )
    fieldsets = (
        (None, {"fields": ("kind", "state", "title", "listing_link", "client_link", "provider_link")}),
        (
            _("Money"),
            {"fields": ("price", "currency", "policy", "platform_fee_display", "escrow_held")},
        ),
        (
            _("Service"),
            {
                "fields": (
                    "requirements",
                    "requirements_submitted_at",
                    "delivery_days",
                    "due_at",
                    "revisions_allowed",
                    "revisions_used",
                    "delivered_at",
                )
            },
        ),
        (_("Shift"), {"fields": ("starts_at", "ends_at", "location", "checked_in_at")}),
        (
            _("Clock"),
            {"fields": ("auto_complete_at", "completed_at", "cancelled_at", "created_at", "updated_at")},
        ),
    )
    readonly_fields = tuple(field for _title, spec in fieldsets for field in spec["fields"])

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("client", "provider", "policy", "listing")

    # Nothing on an order is edited by hand: the state is protected and the rest is terms
    # or money. Orders are made by clients and providers, never in the back office.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("price"), ordering="price")
    def amount(self, obj: Order) -> str:
        return f"{obj.price} {obj.currency}"

    @admin.display(description=_("due / starts"))
    def due_or_starts(self, obj: Order):
        return (obj.starts_at if obj.is_shift else obj.due_at) or "—"

    @admin.display(description=_("listing"))
    def listing_link(self, obj: Order) -> str:
        return admin_link(obj.listing)

    @admin.display(description=_("client"))
    def client_link(self, obj: Order) -> str:
        return admin_link(obj.client)

    @admin.display(description=_("provider"))
    def provider_link(self, obj: Order) -> str:
        return admin_link(obj.provider)

    @admin.display(description=_("platform fee"))
    def platform_fee_display(self, obj: Order) -> str:
        return f"{obj.platform_fee} {obj.currency} ({obj.policy.platform_fee_percent} %)"

    @admin.display(description=_("held in escrow"))
    def escrow_held(self, obj: Order) -> str:
        from .ledger import escrow_balance_for

        return f"{escrow_balance_for(obj)} {obj.currency}"


# --- Policy versions ------------------------------------------------------------------------

POLICY_FIELDS = tuple(f.name for f in Policy._meta.concrete_fields if f.editable and f.name not in ("id", "created_by"))


class CancellationRuleInline(admin.TabularInline):
    """The cancellation table of one version: editable until an order is made under it."""

    model = CancellationRule
    extra = 0
    fields = RULE_FIELDS

    def _frozen(self, obj: Policy | None) -> bool:
        return obj is not None and PolicyAdmin.is_used(obj)

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields if self._frozen(obj) else ()

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Versions of the rules. A version any order was made under is frozen; add a new one.

    A new version starts as a copy of the newest one, cancellation table included, so the
    rules never go missing; it stays editable until the first order is made under it.
    """

    list_display = (
        "version",
        "name",
        "platform_fee_percent",
        "service_auto_complete_hours",
        "shift_auto_complete_hours",
        "check_in_opens_minutes",
        "in_use",
        "created_at",
        "created_by",
    )
    list_display_links = ("version", "name")
    list_select_related = ("created_by",)
    ordering = ("-version",)
    fields = (*POLICY_FIELDS, "created_at", "created_by")
    inlines = (CancellationRuleInline,)

    def get_queryset(self, request: HttpRequest):
        used = Order.objects.filter(policy=OuterRef("pk"))
        return super().get_queryset(request).annotate(_in_use=Exists(used))

    @admin.display(description=_("used by orders"), boolean=True, ordering="_in_use")
    def in_use(self, obj: Policy) -> bool:
        return obj._in_use

    @staticmethod
    def is_used(obj: Policy) -> bool:
        used = getattr(obj, "_in_use", None)
        return used if used is not None else Order.objects.filter(policy=obj).exists()

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is not None and self.is_used(obj):
            return self.fields
        return ("created_at", "created_by")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        policy = self.get_object(request, object_id)
        if policy is not None and self.is_used(policy):
            extra_context = {
                **(extra_context or {}),
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_inlines(self, request: HttpRequest, obj=None):
        # On the add page the rules are copied from the newest version when it is saved.
        return self.inlines if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and self.is_used(obj))

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        newest = Policy.objects.order_by("-version").first()
        if newest is None:
            initial.setdefault("version", 1)
            return initial
        # Start from the rules in force, so staff change only what differs.
        for name in POLICY_FIELDS:
            initial.setdefault(name, getattr(newest, name))
        initial["version"] = newest.version + 1
        return initial

    def save_model(self, request: HttpRequest, obj: Policy, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # The admin runs this in a transaction: the version and its copied rules appear together.
        source = Policy.objects.exclude(pk=obj.pk).order_by("-version").first()
        obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if source is not None:
            CancellationRule.objects.bulk_create(
                CancellationRule(policy=obj, **{name: getattr(rule, name) for name in RULE_FIELDS})
                for rule in source.rules.all()
            )


# --- Ledger ---------------------------------------------------------------------------------


class LedgerEntryInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("account_link", "amount")
    readonly_fields = fields
    verbose_name_plural = _("entries (debit +, credit −)")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("account__user")

    @admin.display(description=_("account"))
    def account_link(self, obj: LedgerEntry) -> str:
        return admin_link(obj.account)


class AccountEntryInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("transaction_link", "at", "memo", "amount")
    readonly_fields = fields
    verbose_name_plural = _("entries (debit +, credit −)")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("transaction").order_by("-transaction__created_at", "-id")

    @admin.display(description=_("transaction"))
    def transaction_link(self, obj: LedgerEntry) -> str:
        return admin_link(obj.transaction)

    @admin.display(description=_("at"))
    def at(self, obj: LedgerEntry):
        return obj.transaction.created_at

    @admin.display(description=_("memo"))
    def memo(self, obj: LedgerEntry) -> str:
        return obj.transaction.memo


@admin.register(Account)
class AccountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "kind", "user", "currency", "balance")
    list_filter = ("kind", "currency")
    search_fields = ("user__username",)
    list_select_related = ("user",)
    fields = ("kind", "user", "currency", "balance")
    readonly_fields = fields
    inlines = (AccountEntryInline,)

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(_balance=Coalesce(Sum("entries__amount"), ZERO))
            .order_by("kind", "currency", "user__username")
        )

    @admin.display(description=_("balance (debit +, credit −)"), ordering="_balance")
    def balance(self, obj: Account) -> Decimal:
        return obj._balance


class LedgerTransactionOrderFilter(admin.SimpleListFilter):
    title = _("order")
    parameter_name = "has_order"

    def lookups(self, request, model_admin):
        return (("yes", _("for an order")), ("no", _("not tied to an order")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(order__isnull=False)
        if self.value() == "no":
            return queryset.filter(Q(order__isnull=True))
        return queryset


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "created_at", "kind", "order_link", "currency", "memo", "entries_list")
    list_filter = ("kind", "currency", LedgerTransactionOrderFilter, "created_at")
    search_fields = ("id__exact", "order__id__exact", "memo")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = ("kind", "order_link", "currency", "memo", "created_at")
    readonly_fields = fields
    inlines = (LedgerEntryInline,)

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("order").prefetch_related(_entries_prefetch())

    @admin.display(description=_("order"))
    def order_link(self, obj: LedgerTransaction) -> str:
        return admin_link(obj.order)

    @admin.display(description=_("entries (debit +, credit −)"))
    def entries_list(self, obj: LedgerTransaction) -> str:
        return _entries_table(list(obj.entries.all()))


# --- Cancellations and refunds ----------------------------------------------------------------


@admin.register(Cancellation)
class CancellationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Why orders end early: filter by path, reason and fault to see the patterns."""

    list_display = (
        "order",
        "created_at",
        "path",
        "tier",
        "reason",
        "fault",
        "actor_role",
        "refund_to_client",
        "fee_to_platform",
        "credit_delta",
        "reversed_at",
    )
    list_filter = ("path", "reason", "fault", "actor_role", "created_at")
    search_fields = ("order__id__exact", "order__title", "order__client__username", "order__provider__username")
    list_select_related = ("order",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in Cancellation._meta.fields]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "order", "amount", "currency", "status", "settle_after", "settled_at", "attempts")
    list_filter = ("status", "currency", "settle_after")
    search_fields = ("order__id__exact", "gateway_reference", "payment__reference")
    list_select_related = ("order",)
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in Refund._meta.fields]
