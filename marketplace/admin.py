"""The back office for people and listings, notifications, and blocks between people.

Notifications and blocks are read-only here. (An order's message thread and its reports are
in the orders app's admin.)
"""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.helpers import get_cool_off
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import IsSetFilter, ReadOnlyAdminMixin, ReadOnlyInlineMixin
from core.exceptions import ApplicationError
from core.support import is_support
from core.timeutils import when_text
from credit.eligibility import require_can_post
from credit.services import credit_accounts_open

from . import services
from .forms import AdminLoginForm
from .logins import attempts_locked_now, attempts_with_recent_failures, login_locks_lift
from .models import Availability, Block, Listing, Notification, Reputation, User

# The admin's login counts failures and shows a lock like the site's login does.
admin.site.login_form = AdminLoginForm


class AvailabilityInline(ReadOnlyInlineMixin, admin.StackedInline):
    """The user's announced time away (set by the user on their availability page)."""

    model = Availability
    fields = ("away_from", "away_until", "message", "updated_at")
    readonly_fields = fields
    verbose_name_plural = _("announced availability")


class AvailableNowFilter(admin.SimpleListFilter):
    title = _("availability")
    parameter_name = "away"

    def lookups(self, request, model_admin):
        return (("now", _("unavailable now")), ("announced", _("time away announced")))

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.filter(availability__away_from__lte=now).filter(
                Q(availability__away_until__isnull=True) | Q(availability__away_until__gt=now)
            )
        if self.value() == "announced":
            return queryset.filter(availability__isnull=False).exclude(availability__away_until__lte=now)
        return queryset


class EmailVerifiedFilter(IsSetFilter):
    title = _("e-mail verified")
    parameter_name = "email_verified"
    field = "email_verified_at"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin (password change, permissions) plus Gigfair's profile fields.

    A new address given here goes through the same service as the user's own change: it is
    unverified until its link is followed, and the link is e-mailed to it.
    """

    list_display = (
        "username",
        "display_name",
        "email",
        "email_verified_display",
        "is_active",
        "is_staff",
        "availability_display",
        "date_joined",
        "last_login",
    )
    list_filter = ("is_staff", "is_superuser", "is_active", EmailVerifiedFilter, AvailableNowFilter, "date_joined")
    list_select_related = ("availability",)
    inlines = (AvailabilityInline,)
    search_fields = ("username", "email", "display_name", "first_name", "last_name")
    ordering = ("username",)
    readonly_fields = ("email_verified_at", "email_verification_sent_at")
    actions = ("mark_email_verified",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Profile"), {"fields": ("display_name", "first_name", "last_name", "bio", "language")}),
        (_("E-mail address"), {"fields": ("email", "email_verified_at", "email_verification_sent_at")}),
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

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        if not (change and "email" in form.changed_data):
            super().save_model(request, obj, form, change)
            if not change:  # an account added here has its credit account too, as one signed up
                credit_accounts_open([obj.pk])
            return
        new_email, obj.email = obj.email, form.initial.get("email", "")
        super().save_model(request, obj, form, change)
        changed = services.user_email_change(user=obj, email=new_email, by_staff=True)
        obj.email, obj.email_verified_at = changed.email, changed.email_verified_at

    @admin.display(description=_("e-mail verified"), boolean=True, ordering="email_verified_at")
    def email_verified_display(self, obj: User) -> bool:
        return obj.email_verified

    @admin.action(description=_("Mark their e-mail addresses verified"), permissions=("change",))
    def mark_email_verified(self, request: HttpRequest, queryset) -> None:
        marked = 0
        for user in queryset.order_by("pk"):
            if services.user_email_mark_verified(user=user):
                marked += 1
                self.log_change(request, user, gettext("Marked the e-mail address verified."))
        self.message_user(
            request,
            ngettext("%(n)d e-mail address marked verified.", "%(n)d e-mail addresses marked verified.", marked)
            % {"n": marked},
            messages.SUCCESS,
        )

    @admin.display(description=_("availability"))
    def availability_display(self, obj: User) -> str:
        availability = getattr(obj, "availability", None)
        if availability is None or availability.is_over:
            return "—"
        until = (
            timezone.localtime(availability.away_until).strftime("%Y-%m-%d %H:%M") if availability.away_until else "…"
        )
        if availability.is_away:
            return gettext("away until %(until)s") % {"until": until}
        return gettext("away from %(from)s") % {
            "from": timezone.localtime(availability.away_from).strftime("%Y-%m-%d %H:%M")
        }


class ListingAdminForm(forms.ModelForm):
    """A listing added here is posted for its owner: an owner who lost the right to post is refused."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "positions" in self.fields:  # a service has none to give: one by default
            self.fields["positions"].required = False

    def clean(self):
        cleaned = super().clean()
        owner = cleaned.get("owner")
        if self.instance.pk is None and owner is not None:
            try:
                require_can_post(user=owner)
            except ApplicationError as error:
                self.add_error("owner", error.message)
        positions = cleaned.get("positions")
        if positions is None and "positions" in self.fields:
            positions = cleaned["positions"] = self.instance.positions or 1
        if self.instance.pk is not None and positions is not None:
            taken = Listing.objects.filter(pk=self.instance.pk).values_list("positions_taken", flat=True).first() or 0
            if positions < taken:
                self.add_error(
                    "positions",
                    _("%(n)d places are booked or being booked: the shift keeps at least %(n)d.") % {"n": taken},
                )
        return cleaned


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    form = ListingAdminForm
    list_display = ("title", "kind", "owner", "price", "currency", "is_active", "created_at")
    list_display_links = ("title",)
    list_filter = ("kind", "is_active", "currency", "created_at")
    search_fields = ("title", "owner__username", "owner__display_name")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    autocomplete_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at", "positions_taken")
    fieldsets = (
        (None, {"fields": ("kind", "owner", "title", "description", "is_active")}),
        (_("Price"), {"fields": ("price", "currency", "min_credit_score")}),
        (_("Service terms"), {"fields": ("delivery_days", "revisions")}),
        (_("Shift"), {"fields": ("starts_at", "ends_at", "location", "positions", "positions_taken", "early_access")}),
        (_("History"), {"fields": ("created_at", "updated_at")}),
    )

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            return super().save_model(request, obj, form, change)
        # The places taken move with bookings (under the row's lock), never with this form.
        fields = [f.name for f in obj._meta.concrete_fields if not f.primary_key and f.name != "positions_taken"]
        obj.save(update_fields=fields)
        return None

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


# --- Blocks -------------------------------------------------------------------------------


class BlockActiveFilter(IsSetFilter):
    title = _("in force")
    parameter_name = "active"
    field = "unblocked_at"
    yes_when_set = False
    labels = (_("in force"), _("lifted"))


@admin.register(Block)
class BlockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who blocked whom and why; lifted blocks stay listed with the time they were lifted."""

    list_display = ("created_at", "blocker", "blocked", "reason", "note_excerpt", "unblocked_at")
    list_filter = (BlockActiveFilter, "reason", "created_at")
    search_fields = ("blocker__username", "blocked__username", "blocker__display_name", "blocked__display_name")
    search_help_text = _("Username or display name of either person.")
    list_select_related = ("blocker", "blocked")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    fields = ("blocker", "blocked", "reason", "note", "created_at", "unblocked_at")
    readonly_fields = fields

    @admin.display(description=_("note"))
    def note_excerpt(self, obj: Block) -> str:
        return Truncator(obj.note).chars(60)


# --- Login locks (django-axes) ---------------------------------------------------------------
# django-axes' own admin pages, readable by support too (core.support), with when each lock
# ends and an action that lifts one.


class SupportReadableMixin:
    """Support (staff in the ``support`` group, superusers) may look, without a model permission each."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_support(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return is_support(request.user) or super().has_view_permission(request, obj)


class LockedNowFilter(admin.SimpleListFilter):
    title = _("locked now")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return (("yes", _("locked now")),)

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return attempts_locked_now(queryset)
        return queryset


for _model in (AccessAttempt, AccessLog, AccessFailureLog):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(AccessAttempt)
class LoginLockAdmin(SupportReadableMixin, AccessAttemptAdmin):
    """Failed logins still counting, one row per username, address and browser; a pair with 5
    within 15 minutes is locked until the time shown (each failure counts for 15 minutes)."""

    list_display = [
        "attempt_time",
        "username",
        "ip_address",
        "failures_since_start",
        "locked_until",
        "path_info",
        "user_agent",
    ]
    list_filter = [LockedNowFilter, "attempt_time", "path_info"]
    search_fields = ["username", "ip_address"]
    actions = ["unlock", "cleanup_expired_attempts"]
    fieldsets = (
        (None, {"fields": ("username", "ip_address", "failures_since_start", "attempt_time", "locked_until")}),
        (_("Request"), {"fields": ("path_info", "user_agent", "http_accept", "get_data", "post_data")}),
    )
    readonly_fields = [*AccessAttemptAdmin.readonly_fields, "locked_until"]

    def get_queryset(self, request: HttpRequest):
        return attempts_with_recent_failures(super().get_queryset(request))

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # nothing here is edited; a lock is lifted with the action

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return is_support(request.user) or request.user.has_perm("axes.delete_accessattempt")

    @admin.display(description=_("locked until"))
    def locked_until(self, obj: AccessAttempt) -> str:
        ends = obj.attempt_time + get_cool_off()
        if (obj.recent_failures or 0) < settings.AXES_FAILURE_LIMIT or ends <= timezone.now():
            return "—"
        return when_text(ends)

    @admin.action(
        description=_("Unlock: forget the failed logins of these usernames from these addresses"),
        permissions=("unlock",),
    )
    def unlock(self, request: HttpRequest, queryset) -> None:
        self.log_deletions(request, queryset)
        removed = login_locks_lift(attempts=queryset)
        self.message_user(
            request,
            ngettext("%(n)d record of failed logins forgotten.", "%(n)d records of failed logins forgotten.", removed)
            % {"n": removed},
            messages.SUCCESS,
        )


@admin.register(AccessFailureLog)
class LoginFailureLogAdmin(SupportReadableMixin, AccessFailureLogAdmin):
    """Every failed login, kept for the record (whether it locked the pair out)."""

    search_fields = ["username", "ip_address"]


@admin.register(AccessLog)
class LoginLogAdmin(SupportReadableMixin, AccessLogAdmin):
    """Successful logins on the site and in the admin."""

    search_fields = ["username", "ip_address"]


@admin.register(Reputation)
class ReputationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each person's published reviews in figures: the rating and how the stars spread."""

    list_display = ("user", "average_shown", "rating_count", "stars_5", "stars_4", "stars_3", "stars_2", "stars_1")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    ordering = ("-rating_count",)
    readonly_fields = (
        "user",
        "rating_count",
        "rating_sum",
        "stars_5",
        "stars_4",
        "stars_3",
        "stars_2",
        "stars_1",
        "updated_at",
    )

    @admin.display(description=_("average"))
    def average_shown(self, obj: Reputation) -> str:
        return f"{obj.average:.2f}" if obj.average is not None else "—"
