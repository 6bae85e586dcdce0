"""The back office for reviews (the queue: reported and low ones first to read, removed ones on
record; removing or keeping, with the reason) and for shifts' waitlists.
``orders.admin`` imports this module, so admin autodiscovery registers it."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdminMixin, TransitionLogInline, admin_link, bulk_form_action

from .models import Handover, Review, ReviewState, WaitlistEntry
from .reviews import REASON_MAX, review_remove, review_report_dismiss


class RemoveReviewForm(forms.Form):
    reason = forms.CharField(
        label=_("Which rule it breaks"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Both parties read it; it stays on record with the review."),
    )


class KeepReviewForm(forms.Form):
    note = forms.CharField(
        label=_("Why it stays"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The person who reported it reads this."),
    )


class ReportedFilter(admin.SimpleListFilter):
    title = _("reported")
    parameter_name = "reported"

    def lookups(self, request, model_admin):
        return (("waiting", _("reported, waiting for support")), ("handled", _("reported, handled")))

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(reported_at__isnull=False, report_handled_at__isnull=True)
        if self.value() == "handled":
            return queryset.filter(report_handled_at__isnull=False)
        return queryset


class LowRatingFilter(admin.SimpleListFilter):
    title = _("stars")
    parameter_name = "low"

    def lookups(self, request, model_admin):
        return (("yes", _("1 or 2 stars (read first)")),)

    def queryset(self, request, queryset):
        return queryset.filter(rating__lte=2) if self.value() == "yes" else queryset


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Reviews are the parties' words: support reads them and removes, with a reason, those that
    break the rules (``orders.reviews.review_remove``); nothing else is edited here."""

    list_display = ("id", "order_link", "author", "author_role", "subject", "rating", "state", "created_at")
    list_display_links = ("id",)
    list_filter = ("state", ReportedFilter, LowRatingFilter, "rating", "author_role", "created_at")
    search_fields = ("order__id__exact", "author__username", "subject__username", "text")
    search_help_text = _("Order number, the username of the author or of the person reviewed, or words of the text.")
    list_select_related = ("order", "author", "subject")
    ordering = ("-created_at", "-id")
    actions = ("remove_selected", "keep_selected")
    inlines = (TransitionLogInline,)
    fields = (
        "order_link",
        "author",
        "author_role",
        "subject",
        "rating",
        "text",
        "state",
        "created_at",
        "publish_at",
        "published_at",
        "reply",
        "replied_at",
        "removed_at",
        "removed_by",
        "removal_reason",
        "reported_at",
        "reported_by",
        "report_reason",
        "report_handled_at",
    )
    readonly_fields = fields

    @admin.display(description=_("order"))
    def order_link(self, obj: Review) -> str:
        return admin_link(obj.order, f"#{obj.order_id}")

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm("orders.change_review")

    @admin.action(description=_("Remove them: they break the rules…"), permissions=("remove",))
    def remove_selected(self, request: HttpRequest, queryset):
        return bulk_form_action(
            self,
            request,
            queryset.exclude(state=ReviewState.REMOVED),
            form_class=RemoveReviewForm,
            title=gettext("Remove reviews"),
            intro=gettext(
                "A removed review no longer shows or counts in the rating; the reason stays on record and "
                "both parties are told."
            ),
            submit_label=gettext("Remove"),
            run=lambda review, data: review_remove(review=review, actor=request.user, reason=data["reason"]),
            done=lambda n: ngettext("%(n)d review removed.", "%(n)d reviews removed.", n) % {"n": n},
        )

    @admin.action(description=_("Keep them: the reports are dismissed…"), permissions=("remove",))
    def keep_selected(self, request: HttpRequest, queryset):
        return bulk_form_action(
            self,
            request,
            queryset.filter(reported_at__isnull=False, report_handled_at__isnull=True),
            form_class=KeepReviewForm,
            title=gettext("Keep reported reviews"),
            intro=gettext("The reviews stay published; each person who reported one is told why."),
            submit_label=gettext("Keep them"),
            run=lambda review, data: review_report_dismiss(review=review, actor=request.user, note=data["note"]),
            done=lambda n: ngettext("%(n)d review kept.", "%(n)d reviews kept.", n) % {"n": n},
        )


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who waits for a place on a full shift, and what became of each offer."""

    list_display = ("id", "listing", "worker", "state", "created_at", "offered_at", "offer_expires_at", "ended_at")
    list_filter = ("state", "created_at")
    search_fields = ("listing__id__exact", "listing__title", "worker__username")
    list_select_related = ("listing", "worker")
    ordering = ("-created_at", "-id")


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Booked workers handing their shift to another: who offered it, to whom, and who took it."""

    list_display = ("id", "order_link", "from_worker", "to_worker", "state", "created_at", "expires_at", "taken_by")
    list_filter = ("state", "created_at")
    search_fields = ("order__id__exact", "order__title", "from_worker__username", "taken_by__username")
    list_select_related = ("order", "from_worker", "to_worker", "taken_by")
    ordering = ("-created_at", "-id")
    fields = (
        "order_link",
        "state",
        "from_worker",
        "to_worker",
        "message",
        "created_at",
        "expires_at",
        "ended_at",
        "taken_by",
    )
    readonly_fields = fields

    @admin.display(description=_("order"), ordering="order")
    def order_link(self, obj: Handover) -> str:
        return admin_link(obj.order, f"#{obj.order_id} {obj.order.title}")
