"""The back office for orders, policy versions, cancellations, refunds and the money ledger.

Orders and money are read-only here: state moves only through the services (``FSMField``
is protected), and a ledger row is evidence. What staff do is done by custom admin views
and actions that validate a form and call one service, in the way Django's
``UserAdmin.user_change_password`` runs its form (the shared plumbing is
``core.admin.ServiceFormAdminMixin``): a support ruling that cancels an order, upholding an
appeal, retrying a failed refund. Policies are data that staff edit, and an
edit never changes a version an order was made under (see ``PolicyAdmin``). The order's
message thread and its reports have their own module, ``orders.admin_threads``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from weakref import WeakKeyDictionary

from django.contrib import admin, messages
from django.contrib.admin.views.main import PAGE_VAR
from django.db.models import Count, IntegerField, Max, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import (
    IsSetFilter,
    ReadOnlyAdminMixin,
    ReadOnlyInlineMixin,
    ServiceFormAdminMixin,
    ServiceOnlyAdminMixin,
    TransitionLogInline,
    admin_link,
)
from core.exceptions import ApplicationError
from core.models import ActorRole

from . import admin_reviews, admin_threads, statements  # noqa: F401 - the first two register their admin pages
from .cancellation import (
    cancellation_decide,
    cancellation_reverse,
    order_cancel_by_support,
    refund_retry_now,
    refusal_message,
)
from .deposits import deposit_held
from .forms_admin import (
    AppealForm,
    CancellationRuleForm,
    CancellationRuleFormSet,
    SupportCancellationForm,
    client_side_reasons_field,
)
from .ledger import escrow_balance_for
from .models import (
    Account,
    AccountKind,
    Cancellation,
    CancellationPath,
    CancellationRule,
    CancelReason,
    Charge,
    CreditParty,
    Delivery,
    DeliveryFile,
    DepositPayment,
    Fault,
    LedgerEntry,
    LedgerTransaction,
    Order,
    Payment,
    Payout,
    Policy,
    ReconciliationRun,
    Refund,
)
from .payouts import payout_retry
from .policy import Refusal
from .policy_versions import PolicySaved, PolicySaveKind, policy_create, policy_save
from .refunds import charge_retry_now
from .services import RULE_FIELDS
from .wallet import wallet_line

ZERO = Decimal("0.00")


def _entries_table(entries) -> str:
    """Entries of one ledger transaction as lines: account, then the signed amount."""
    if not entries:
        return "—"
    return format_html(
        '<table class="ledger-entries">{}</table>',
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
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
        # Through the access-checked view (support may open every file), never a media URL.
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> ({}, {} bytes)',
            ((reverse("delivery_file", args=(f.pk,)), f.name, f.content_type, f.size) for f in files),
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
        ("refund_to_client", "compensation_to_provider", "retained_by_platform", "fee_to_platform", "deposit_kept"),
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
class OrderAdmin(ServiceFormAdminMixin, ServiceOnlyAdminMixin, admin.ModelAdmin):
    """Orders, read-only: a support ruling that cancels one is the one thing staff do here.

    Nothing on an order is edited by hand: the state is protected and the rest is terms or
    money. Orders are made by clients and providers, never in the back office.
    """

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
        return f"{escrow_balance_for(obj)} {obj.currency}"

    # --- a support ruling that cancels the order (like UserAdmin.user_change_password) ---

    def get_urls(self):
        return [
            self.service_form_path("rule-cancellation", self.rule_cancellation_view),  # orders_order_rule_cancellation
            *super().get_urls(),
        ]

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        context["can_rule_cancellation"] = obj is not None and obj.is_open and self.has_change_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def rule_cancellation_view(self, request: HttpRequest, object_id: str):
        """Choose a fault, see its consequences, confirm: then ``order_cancel_by_support`` runs."""
        order, gone = self.service_form_object(
            request, object_id, allowed=lambda obj: self.has_change_permission(request, obj)
        )
        if gone is not None:
            return gone
        if not order.is_open:
            return self.service_form_refuse(request, order, refusal_message(Refusal.ORDER_CLOSED))
        form = SupportCancellationForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            order_cancel_by_support(
                order=order,
                actor=request.user,
                fault=data["fault"],
                reason=data["reason"],
                message=data["message"],
                refund_percent=data["refund_percent"],
            )
            fault = Fault(data["fault"]).label
            return (
                gettext("Cancelled by a support ruling: %(fault)s.") % {"fault": fault},
                gettext("Order #%(id)s is cancelled by your ruling (%(fault)s); both parties are told.")
                % {"id": order.pk, "fault": fault},
            )

        # A refusal on confirming means the order moved on meanwhile: its page says where it stands.
        done = self.service_form_submit(request, order, form, run, refusal="page", confirm=True)
        if done is not None:
            return done
        preview = None
        if self.service_form_previewing(request, form):
            data = form.cleaned_data
            decision = cancellation_decide(
                order=order,
                actor_role=ActorRole.SUPPORT,
                ruling_fault=data["fault"],
                refund_percent=data["refund_percent"],
            )
            if not decision.allowed:
                return self.service_form_refuse(request, order, refusal_message(decision.code))
            values = _outcome_values(order, decision)
            preview = [
                *((label, value) for (_key, label), value in zip(OUTCOME_ROWS, values, strict=True)),
                (_("reason"), CancelReason(data["reason"]).label),
                (_("message to both parties"), data["message"]),
            ]
        faults, choices = fault_choices(order) if preview is None else (None, None)
        return self.service_form_render(
            request,
            order,
            "admin/orders/order/rule_cancellation.html",
            title=gettext("Rule a cancellation") if preview is None else gettext("Confirm the ruling"),
            form=form,
            preview=preview,
            faults=faults,
            choices=choices,
        )


OUTCOME_ROWS = (
    ("rule", _("rule")),
    ("refund", _("refund to the client")),
    ("compensation", _("compensation to the provider")),
    ("retained", _("kept by the platform")),
    ("fee", _("fee charged to the provider")),
    ("credit", _("credit change")),
    ("rate", _("completion rate")),
    ("complaint", _("counts as a complaint")),
)


def fault_choices(order: Order) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Before choosing, every fault category side by side, as the policy of ``order`` has it.

    The faults (the columns) and, for each of ``OUTCOME_ROWS``, what a ruling with each fault
    would do.
    """
    columns = [
        _outcome_values(order, cancellation_decide(order=order, actor_role=ActorRole.SUPPORT, ruling_fault=value))
        for value, _label in Fault.choices
    ]
    faults = [label for _value, label in Fault.choices]
    return faults, [(label, [column[i] for column in columns]) for i, (_key, label) in enumerate(OUTCOME_ROWS)]


def _rule_label(path: str, tier: str) -> str:
    label = str(CancellationPath(path).label)
    return label if not tier or tier.lower() in label.lower() else f"{label} — {tier}"


def _outcome_values(order: Order, decision) -> list[str]:
    """The consequences of an engine decision for ``order``, in the order of ``OUTCOME_ROWS``."""
    if not decision.allowed:
        return [refusal_message(decision.code), *("—" for _row in OUTCOME_ROWS[1:])]
    outcome, cur = decision.outcome, order.currency
    party = {"client": order.client, "provider": order.provider}.get(outcome.credit_party)
    credit = (
        gettext("%(delta)+d for the %(role)s (%(who)s)")
        % {"delta": outcome.credit_delta, "role": CreditParty(outcome.credit_party).label, "who": party}
        if outcome.credit_delta and party is not None
        else gettext("none")
    )
    fee = (
        gettext("%(amount)s %(cur)s (%(who)s)") % {"amount": outcome.fee_to_platform, "cur": cur, "who": order.provider}
        if outcome.fee_to_platform > 0
        else gettext("none")
    )
    return [
        _rule_label(decision.path, decision.tier),
        f"{outcome.refund_to_client} {cur}",
        f"{outcome.compensation_to_provider} {cur}",
        f"{outcome.retained_by_platform} {cur}",
        fee,
        credit,
        gettext("counts against the provider")
        if outcome.counts_against_completion_rate
        else gettext("does not count against the provider"),
        gettext("yes") if outcome.counts_as_complaint else gettext("no"),
    ]


# --- Policy versions ------------------------------------------------------------------------

POLICY_FIELDS = tuple(f.name for f in Policy._meta.concrete_fields if f.editable and f.name not in ("id", "created_by"))


class CancellationRuleInline(admin.TabularInline):
    """The cancellation table of one version, checked as a whole before anything is saved."""

    model = CancellationRule
    form = CancellationRuleForm
    formset = CancellationRuleFormSet
    extra = 0
    fields = RULE_FIELDS


def _orders_using() -> Subquery:
    return Subquery(
        Order.objects.filter(policy=OuterRef("pk")).order_by().values("policy").annotate(n=Count("pk")).values("n"),
        output_field=IntegerField(),
    )


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    """Versions of the rules: data that staff edit, never changing the terms of an order.

    Saving a version no order uses yet edits it in place. Saving a version some order was
    made under leaves it untouched and stores the edited values and rules as a new version
    (the next number), which new orders then use (``policy_current`` takes the newest).
    A version added from scratch starts as a copy of the newest one, rules included. The
    saving is done by the services of ``orders.policy_versions``; this admin validates what
    staff typed, calls them and words what they did.
    """

    list_display = (
        "version",
        "name",
        "platform_fee_percent",
        "service_auto_complete_hours",
        "shift_auto_complete_hours",
        "check_in_opens_minutes",
        "orders_count",
        "created_at",
        "created_by",
    )
    list_display_links = ("version", "name")
    list_select_related = ("created_by",)
    ordering = ("-version",)
    fields = (*POLICY_FIELDS, "orders_count", "created_at", "created_by")
    inlines = (CancellationRuleInline,)

    def __init__(self, model, admin_site) -> None:
        super().__init__(model, admin_site)
        # Django's change view calls save_model, save_related, construct_change_message,
        # log_change and response_change in turn, handing none of them what the others did;
        # and one admin instance serves every request, whatever the thread. So what
        # policy_save returned (in save_related) is kept here for the steps after it, keyed
        # by the request it belongs to, weakly: it goes with the request at the latest.
        self._saved: WeakKeyDictionary[HttpRequest, PolicySaved] = WeakKeyDictionary()

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(_orders=Coalesce(_orders_using(), 0))

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "client_side_cancel_reasons":  # a list of codes: ticked, not typed as JSON
            return client_side_reasons_field(db_field)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description=_("orders made under it"), ordering="_orders")
    def orders_count(self, obj: Policy) -> int:
        if obj.pk is None:
            return 0
        count = getattr(obj, "_orders", None)
        return count if count is not None else Order.objects.filter(policy=obj).count()

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        if obj is None:
            return ("orders_count", "created_at", "created_by")
        # The number is assigned: the next one when an edit becomes a new version.
        return ("version", "orders_count", "created_at", "created_by")

    def get_inlines(self, request: HttpRequest, obj=None):
        # On the add page the rules are copied from the newest version when it is saved.
        return self.inlines if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj is not None and self.orders_count(obj))

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        newest = Policy.objects.order_by("-version").first()
        if newest is None:
            initial.setdefault("version", 1)
            return initial
        # Start from the rules in force, so staff change only what differs.
        for name in POLICY_FIELDS:
            value = getattr(newest, name)
            if value is not None:  # an empty option (no deposits) stays an empty field
                initial.setdefault(name, value)
        initial["version"] = newest.version + 1
        return initial

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and self.orders_count(obj):
            next_version = (Policy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
            context["policy_in_use"] = {
                "orders": self.orders_count(obj),
                "version": obj.version,
                "next_version": next_version,
            }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request: HttpRequest, obj: Policy, form, change: bool) -> None:
        if change:
            # An edit is saved in save_related, once the rules are valid too: whether it is
            # made in place or as a new version depends on both.
            return
        policy_create(policy=obj, actor=request.user)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        if not change:
            super().save_related(request, form, formsets, change)
            return
        [rules] = [fs for fs in formsets if isinstance(fs, CancellationRuleFormSet)]
        rules_edited = any(row.has_changed() for row in rules.forms)
        self._saved[request] = policy_save(
            policy=form.instance,
            actor=request.user,
            values_changed=form.has_changed(),
            rules=rules.rule_values() if rules_edited else None,
        )

    def construct_change_message(self, request: HttpRequest, form, formsets, add=False):
        saved = self._saved.get(request)
        if saved is None:
            return super().construct_change_message(request, form, formsets, add)
        if saved.kind == PolicySaveKind.NEW_VERSION:
            return gettext("Made from version %(old)s, which orders use, by editing it.") % {"old": saved.old_version}
        message = super().construct_change_message(request, form, [], add)
        if saved.rules_changed:
            message.append({"changed": {"fields": [str(CancellationRule._meta.verbose_name_plural)]}})
        return message

    def log_change(self, request: HttpRequest, obj: Policy, message):
        saved = self._saved.get(request)
        if saved is not None and saved.kind == PolicySaveKind.NEW_VERSION:
            return self.log_addition(request, saved.policy, message)
        return super().log_change(request, obj, message)

    def response_change(self, request: HttpRequest, obj: Policy):
        saved = self._saved.pop(request, None)
        if saved is None or saved.kind == PolicySaveKind.IN_PLACE:
            return super().response_change(request, obj)
        if saved.kind == PolicySaveKind.UNCHANGED:
            self.message_user(
                request,
                gettext("Nothing changed; version %(v)s stays as it is.") % {"v": saved.old_version},
                messages.INFO,
            )
            return HttpResponseRedirect(reverse("admin:orders_policy_change", args=(saved.policy.pk,)))
        self.message_user(
            request,
            gettext(
                "Orders were made under version %(old)s, so it stays unchanged: your changes were saved as "
                "version %(new)s, which new orders use from now on."
            )
            % {"old": saved.old_version, "new": saved.policy.version},
            messages.SUCCESS,
        )
        if "_continue" in request.POST:
            return HttpResponseRedirect(reverse("admin:orders_policy_change", args=(saved.policy.pk,)))
        return HttpResponseRedirect(reverse("admin:orders_policy_changelist"))


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
    fields = ("kind", "user", "currency", "balance", "wallet_figures", "statements")
    readonly_fields = fields
    inlines = (AccountEntryInline,)

    def get_urls(self):
        return [
            path(
                "<int:pk>/statement/<str:month>.csv",
                self.admin_site.admin_view(self.statement_csv_view),
                name="orders_account_statement_csv",
            ),
            *super().get_urls(),
        ]

    def statement_csv_view(self, request: HttpRequest, pk: int, month: str) -> HttpResponse:
        """A provider's monthly statement as CSV, as they download it themselves (times in the staff's zone)."""
        account = Account.objects.filter(pk=pk, kind=AccountKind.PROVIDER, user__isnull=False).first()
        if account is None or not self.has_view_permission(request, account):
            raise Http404
        try:
            found = statements.month_parse(month)
        except ApplicationError:
            raise Http404 from None
        response = HttpResponse(
            statements.statement_csv(statements.statement_for(account.user, found)), content_type="text/csv"
        )
        response["Content-Disposition"] = f'attachment; filename="statement-{account.user.username}-{month}.csv"'
        return response

    @admin.display(description=_("monthly statements (CSV)"))
    def statements(self, obj: Account) -> str:
        if obj.kind != AccountKind.PROVIDER or obj.user_id is None:
            return "—"
        this_month = timezone.localdate().replace(day=1)
        months = [this_month, (this_month - timedelta(days=1)).replace(day=1)]
        return format_html_join(
            " · ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:orders_account_statement_csv", args=[obj.pk, f"{m:%Y-%m}"]), f"{m:%Y-%m}")
                for m in months
            ),
        )

    @admin.display(description=_("wallet (what the person sees)"))
    def wallet_figures(self, obj: Account) -> str:
        if obj.kind != AccountKind.PROVIDER or obj.user_id is None:
            return "—"
        line = wallet_line(obj.user, obj.currency)
        return gettext(
            "pending %(pending)s · clearing %(clearing)s · available %(available)s · deposit held %(deposit)s"
        ) % {
            "pending": line.pending,
            "clearing": line.clearing,
            "available": line.available,
            "deposit": deposit_held(obj.user_id, obj.currency),
        }

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


class LedgerTransactionOrderFilter(IsSetFilter):
    title = _("order")
    parameter_name = "has_order"
    field = "order"
    labels = (_("for an order"), _("not tied to an order"))


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


class ActorRoleFilter(admin.SimpleListFilter):
    title = _("who cancelled")
    parameter_name = "actor_role"

    def lookups(self, request, model_admin):
        return ActorRole.choices

    def queryset(self, request, queryset):
        return queryset.filter(actor_role=self.value()) if self.value() else queryset


class ReversedFilter(IsSetFilter):
    title = _("reversed on appeal")
    parameter_name = "reversed"
    field = "reversed_at"


def _counts(queryset, field: str, choices, cl) -> list[dict]:
    """Rows of ``queryset`` per value of ``field`` (one aggregate query), most frequent first."""
    labels = dict(choices)
    rows = queryset.order_by().values(field).annotate(n=Count("pk")).order_by("-n", field)
    return [
        {
            "label": labels.get(row[field], row[field]),
            "count": row["n"],
            "url": cl.get_query_string({f"{field}__exact": row[field]}, [PAGE_VAR]),
        }
        for row in rows
    ]


@admin.register(Cancellation)
class CancellationAdmin(ServiceFormAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Why orders end early: filter by path, reason and fault to see the patterns.

    Records are evidence and stay read-only; the one thing staff do here is uphold an appeal,
    which runs ``cancellation_reverse`` and keeps both the cancellation and its reversal.
    """

    list_display = (
        "order",
        "created_at",
        "path",
        "tier",
        "reason",
        "fault",
        "cancelled_by",
        "consequences",
        "reversed",
    )
    list_filter = ("path", "reason", "fault", ActorRoleFilter, ReversedFilter, "created_at")
    search_fields = (
        "order__id__exact",
        "order__title",
        "order__client__username",
        "order__provider__username",
        "actor__username",
    )
    search_help_text = _("Order number or title, or the username of the client, the provider or who cancelled.")
    list_select_related = ("order", "actor")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fieldsets = (
        (None, {"fields": ("order_link", "parties", "created_at", "actor", "actor_role")}),
        (_("Why"), {"fields": ("path", "tier", "reason", "message", "fault", "policy", "quote")}),
        (
            _("Consequences"),
            {
                "fields": (
                    "refund_to_client",
                    "compensation_to_provider",
                    "retained_by_platform",
                    "fee_to_platform",
                    "credit_delta",
                    "credit_party",
                    "counts_against_completion_rate",
                    "counts_as_complaint",
                )
            },
        ),
        (_("Appeal"), {"fields": ("reversed_at", "reversed_by", "reversal_reason")}),
    )
    readonly_fields = tuple(name for _title, spec in fieldsets for name in spec["fields"])

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .select_related("order__client", "order__provider", "actor", "policy", "reversed_by")
        )

    @admin.display(description=_("order"))
    def order_link(self, obj: Cancellation) -> str:
        return admin_link(obj.order)

    @admin.display(description=_("client / provider"))
    def parties(self, obj: Cancellation) -> str:
        return format_html("{} / {}", admin_link(obj.order.client), admin_link(obj.order.provider))

    @admin.display(description=_("cancelled by"), ordering="actor_role")
    def cancelled_by(self, obj: Cancellation) -> str:
        role = dict(ActorRole.choices).get(obj.actor_role, obj.actor_role)
        return format_html("{} ({})", obj.actor.get_username(), role) if obj.actor_id else str(role)

    @admin.display(description=_("refund · fee · credit"))
    def consequences(self, obj: Cancellation) -> str:
        """The money and credit in one column (the list fits a laptop's screen): the refund to the
        client, the fee charged to the provider, the credit change and whom it hit."""
        credit = f"{obj.credit_delta:+d} ({obj.credit_party})" if obj.credit_delta else "0"
        return format_html("{} · {} · {}", obj.refund_to_client, obj.fee_to_platform, credit)

    @admin.display(description=_("reversed on appeal"), boolean=True, ordering="reversed_at")
    def reversed(self, obj: Cancellation) -> bool:
        return obj.reversed_at is not None

    # --- the summary above the list ---

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}).get("cl")
        if cl is not None:
            response.context_data["summary"] = {
                "by_reason": _counts(cl.queryset, "reason", CancelReason.choices, cl),
                "by_path": _counts(cl.queryset, "path", CancellationPath.choices, cl),
            }
        return response

    # --- upholding an appeal ---

    def get_urls(self):
        return [
            self.service_form_path("uphold-appeal", self.uphold_appeal_view),  # orders_cancellation_uphold_appeal
            *super().get_urls(),
        ]

    def has_appeal_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("orders.change_cancellation")

    def render_change_form(self, request: HttpRequest, context, add=False, change=False, form_url="", obj=None):
        context["can_uphold_appeal"] = (
            obj is not None and obj.reversed_at is None and self.has_appeal_permission(request)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def uphold_appeal_view(self, request: HttpRequest, object_id: str):
        """Uphold an appeal: refund the provider's fee and reverse the credit change."""
        cancellation, gone = self.service_form_object(
            request, object_id, allowed=lambda _obj: self.has_appeal_permission(request)
        )
        if gone is not None:
            return gone
        if cancellation.reversed_at is not None:
            return self.service_form_refuse(
                request, cancellation, gettext("This cancellation was already reversed on appeal.")
            )
        form = AppealForm(request.POST or None)

        def run(data: dict) -> tuple[str, str]:
            ruling = data["reason"]
            cancellation_reverse(cancellation=cancellation, actor=request.user, reason=ruling)
            return (
                gettext("Appeal upheld: %(ruling)s") % {"ruling": ruling},
                gettext("Appeal upheld on order #%(id)s: its fee is refunded and its credit change reversed.")
                % {"id": cancellation.order_id},
            )

        return self.service_form_page(
            request,
            cancellation,
            form,
            run,
            "admin/orders/cancellation/uphold_appeal.html",
            title=gettext("Uphold an appeal"),
            # A refusal here means the cancellation moved on meanwhile: its page says where it stands.
            refusal="page",
            rows=_appeal_effects(cancellation),
        )


def _appeal_effects(cancellation: Cancellation) -> list[tuple[str, str]]:
    order = cancellation.order
    party = {"client": order.client, "provider": order.provider}.get(cancellation.credit_party)
    fee = (
        gettext("%(amount)s %(cur)s refunded to the provider %(who)s")
        % {"amount": cancellation.fee_to_platform, "cur": order.currency, "who": order.provider}
        if cancellation.fee_to_platform > 0
        else gettext("none was charged")
    )
    credit = (
        gettext("%(delta)+d for %(who)s is reversed by an opposite event")
        % {"delta": cancellation.credit_delta, "who": party}
        if cancellation.credit_delta and party is not None
        else gettext("none")
    )
    rate = (
        gettext("stops counting against the provider")
        if cancellation.counts_against_completion_rate
        else gettext("did not count against the provider")
    )
    return [
        (gettext("Fee"), fee),
        (gettext("Credit change"), credit),
        (gettext("Completion rate"), rate),
        (gettext("Money split"), gettext("unchanged: the refund and compensation stay as they were")),
    ]


class AttemptsFilter(admin.SimpleListFilter):
    title = _("attempts")
    parameter_name = "attempts"

    def lookups(self, request, model_admin):
        return (("0", _("not tried yet")), ("1", _("once")), ("2+", _("twice or more")))

    def queryset(self, request, queryset):
        if self.value() == "0":
            return queryset.filter(attempts=0)
        if self.value() == "1":
            return queryset.filter(attempts=1)
        if self.value() == "2+":
            return queryset.filter(attempts__gte=2)
        return queryset


class FailureFilter(admin.SimpleListFilter):
    title = _("last failure")
    parameter_name = "failure"

    def lookups(self, request, model_admin):
        return (("yes", _("has a failure")), ("no", _("no failure")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(failure_reason="")
        if self.value() == "no":
            return queryset.filter(failure_reason="")
        return queryset


class RetryNowAdminMixin:
    """A list of gateway calls that can fail (refunds, charges): "retry now" makes failed ones due at once.

    A subclass names ``retry`` (its service, called with the row and the acting user) and the
    words of what it logs and says (``ngettext_lazy`` messages with ``%(n)d``).
    """

    retry_logged = ""
    retried_message = ""
    skipped_message = ""

    def retry(self, row, actor) -> None:
        raise NotImplementedError

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm(f"orders.change_{self.opts.model_name}")

    @admin.action(description=_("Retry now (failed ones)"), permissions=("retry",))
    def retry_now(self, request: HttpRequest, queryset) -> None:
        retried = skipped = 0
        for row in queryset.order_by("pk"):
            try:
                self.retry(row, request.user)
            except ApplicationError:
                skipped += 1
                continue
            retried += 1
            self.log_change(request, row, str(self.retry_logged))
        if retried:
            self.message_user(request, self.retried_message % {"n": retried}, messages.SUCCESS)
        if skipped:
            self.message_user(request, self.skipped_message % {"n": skipped}, messages.WARNING)


@admin.register(Charge)
class ChargeAdmin(RetryNowAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Further charges of clients (after-sales compensation); a declined one can be made due now."""

    list_display = (
        "id",
        "order",
        "amount",
        "currency",
        "status",
        "charge_after",
        "charged_at",
        "attempts",
        "failure_reason",
    )
    list_filter = ("status", "charge_after", AttemptsFilter, FailureFilter, "currency")
    search_fields = ("order__id__exact", "payment__reference", "memo")
    list_select_related = ("order",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ("retry_now",)
    inlines = (TransitionLogInline,)

    retry_logged = _("Retry now: due at once for the next charge run.")
    retried_message = ngettext_lazy(
        "%(n)d declined charge is due now; the next charge run tries it again.",
        "%(n)d declined charges are due now; the next charge run tries them again.",
        "n",
    )
    skipped_message = ngettext_lazy(
        "%(n)d charge was not retried: only declined charges can be.",
        "%(n)d charges were not retried: only declined charges can be.",
        "n",
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in Charge._meta.fields]

    def retry(self, row: Charge, actor) -> None:
        charge_retry_now(charge=row, actor=actor)


@admin.register(Refund)
class RefundAdmin(RetryNowAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Refunds on their way back to the client; a failed one can be made due now."""

    list_display = (
        "id",
        "order",
        "amount",
        "currency",
        "status",
        "settle_after",
        "settled_at",
        "attempts",
        "failure_reason",
    )
    list_filter = ("status", "settle_after", AttemptsFilter, FailureFilter, "currency")
    search_fields = ("order__id__exact", "gateway_reference", "payment__reference")
    list_select_related = ("order",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ("retry_now",)

    retry_logged = _("Retry now: due at once for the next settlement sweep.")
    retried_message = ngettext_lazy(
        "%(n)d failed refund is due now; the next settlement sweep tries it again.",
        "%(n)d failed refunds are due now; the next settlement sweep tries them again.",
        "n",
    )
    skipped_message = ngettext_lazy(
        "%(n)d refund was not retried: only failed refunds can be.",
        "%(n)d refunds were not retried: only failed refunds can be.",
        "n",
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in Refund._meta.fields]

    def retry(self, row: Refund, actor) -> None:
        refund_retry_now(refund=row, actor=actor)


@admin.register(Payout)
class PayoutAdmin(RetryNowAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Providers' payouts: the queue of failed ones, tried again (a new try) when the money is still there."""

    list_display = ("id", "user", "amount", "currency", "state", "created_at", "paid_at", "retries", "failure_reason")
    list_filter = ("state", "currency", "created_at")
    search_fields = ("id__exact", "user__username", "reference")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    actions = ("retry_now",)

    retry_logged = _("Retry now: a new try of the payout.")
    retried_message = ngettext_lazy("%(n)d failed payout is tried again.", "%(n)d failed payouts are tried again.", "n")
    skipped_message = ngettext_lazy(
        "%(n)d payout was not retried: only failed payouts whose money is still available can be.",
        "%(n)d payouts were not retried: only failed payouts whose money is still available can be.",
        "n",
    )

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in Payout._meta.fields]

    def retry(self, row: Payout, actor) -> None:
        payout_retry(payout=row, actor=actor)


@admin.register(DepositPayment)
class DepositPaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Deposits put down by workers, from their wallet or by card (what each holds: the ledger's
    deposit accounts, under ledger accounts)."""

    list_display = ("id", "user", "amount", "currency", "source", "state", "created_at", "reference", "failure_reason")
    list_filter = ("state", "source", "currency", "created_at")
    search_fields = ("id__exact", "user__username", "reference")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return [f.name for f in DepositPayment._meta.fields]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The books checked (nightly, and on demand from ``run_due_jobs``): each difference found."""

    list_display = ("created_at", "checks", "difference_count")
    ordering = ("-created_at", "-id")
    fields = ("created_at", "checks", "differences_table")
    readonly_fields = fields

    @admin.display(description=_("differences"))
    def difference_count(self, obj: ReconciliationRun) -> int:
        return len(obj.differences)

    @admin.display(description=_("differences"))
    def differences_table(self, obj: ReconciliationRun) -> str:
        if not obj.differences:
            return gettext("None: the books balance.")
        return format_html_join(
            "\n",
            "<div>{}: {}</div>",
            ((d.get("check"), ", ".join(f"{k} {v}" for k, v in d.items() if k != "check")) for d in obj.differences),
        )
