"""What the support queues' lists share: bulk actions an agent would otherwise click row by row,
and the service-level filter with its "breached, not seen yet" choice."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.admin import bulk_apply
from disputes.services.support_queue import sla_breaches_mark_seen


class SlaSeenFilter(admin.SimpleListFilter):
    """Breached items split by whether an agent has seen the breach."""

    title = _("service level")
    parameter_name = "sla"
    extra: tuple[tuple[str, object], ...] = ()

    def lookups(self, request, model_admin):
        return (
            ("breached", _("breached (escalated)")),
            ("unseen", _("breached, not seen yet")),
            *self.extra_lookups(),
            ("ok", _("not breached")),
        )

    def extra_lookups(self):
        return ()

    def queryset(self, request, queryset):
        value = self.value()
        if value == "breached":
            return queryset.filter(sla_breached_at__isnull=False)
        if value == "unseen":
            return queryset.filter(sla_breached_at__isnull=False, sla_seen_at__isnull=True)
        if value == "ok":
            return queryset.filter(sla_breached_at__isnull=True)
        return self.extra_queryset(value, queryset)

    def extra_queryset(self, value, queryset):
        return queryset


class SlaSeenActionMixin:
    """The ``mark_sla_seen`` bulk action: the breach stays on record, the dashboard stops calling."""

    def has_support_change_permission(self, request: HttpRequest) -> bool:
        return request.user.is_staff and request.user.has_perm(f"disputes.change_{self.opts.model_name}")

    @admin.action(description=_("Mark their SLA breach as seen"), permissions=("support_change",))
    def mark_sla_seen(self, request: HttpRequest, queryset) -> None:
        count = sla_breaches_mark_seen(model=self.model, ids=queryset.values_list("pk", flat=True), actor=request.user)
        self.message_user(
            request,
            ngettext("%(n)d breach marked as seen.", "%(n)d breaches marked as seen.", count) % {"n": count}
            if count
            else gettext("None of them had a breach not seen yet."),
        )


class AssignToForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=None, label=_("assign to"), empty_label=None)

    def __init__(self, *args, agents, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents


def bulk_take(modeladmin, request: HttpRequest, queryset, take) -> None:
    """Take each selected row with ``take(obj)`` (a service), saying how many."""
    bulk_apply(
        modeladmin,
        request,
        queryset,
        take,
        done=lambda n: ngettext("%(n)d assigned to you.", "%(n)d assigned to you.", n) % {"n": n},
    )
