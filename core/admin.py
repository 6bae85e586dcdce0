"""The back office's shared pieces: read-only mixins, custom pages that run a service, list
filters, the transition log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote, unquote
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError
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
    """An inline that only shows rows: no add row, no delete box, no form fields. A file's size
    is shown in words (``size_shown``: "2.4 MB", not bytes)."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    @admin.display(description=_("size"), ordering="size")
    def size_shown(self, obj) -> str:
        return filesizeformat(obj.size)


def form_errors_from(form: forms.BaseForm, error: ApplicationError) -> None:
    """A service's refusal on the form: its field errors on their fields, the rest above it."""
    placed = False
    for field, field_messages in error.errors.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


class ServiceFormAdminMixin:
    """Custom pages about one object that show a form and run one service on a valid POST.

    The shape of Django's ``UserAdmin.user_change_password``: find the object (or say it is
    gone), check the permission, show the form in the admin's own frame, and on a valid POST
    call the service, log the change, say what happened and go back to the object's page.
    Each view keeps what is its own (form, service, words); these methods are the rest.

    A page may show the consequences before anything runs: a valid POST previews them
    (``service_form_previewing``), the preview's "_confirm" button runs the service
    (``service_form_submit(..., confirm=True)``) and its "_back" button returns to the form
    with what was entered. The pages extend ``admin/action_form.html``.
    """

    def service_form_path(
        self, action: str, view: Callable[..., HttpResponse], *, name: str | None = None
    ) -> URLPattern:
        """``<object_id>/<action>/``, behind the admin's login, named ``<app>_<model>_<name>``.

        ``name`` defaults to the action with underscores for its dashes.
        """
        opts = self.opts
        return path(
            f"<path:object_id>/{action}/",
            self.admin_site.admin_view(view),
            name=f"{opts.app_label}_{opts.model_name}_{name or action.replace('-', '_')}",
        )

    def service_form_object(
        self, request: HttpRequest, object_id: str, *, allowed: Callable[[Any], bool]
    ) -> tuple[Any, HttpResponse | None]:
        """The page's object, or a redirect if it is gone; refused (403) unless ``allowed(obj)``."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not allowed(obj):
            raise DjangoPermissionDenied
        return obj, None

    def service_form_back(self, obj) -> HttpResponseRedirect:
        """Back to the object's own page."""
        opts = self.opts
        url = reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=(quote(obj.pk),), current_app=self.admin_site.name
        )
        return HttpResponseRedirect(url)

    def service_form_refuse(
        self, request: HttpRequest, obj, message: str, *, level: int = messages.ERROR
    ) -> HttpResponseRedirect:
        """Say why nothing was done, on the object's page."""
        self.message_user(request, message, level)
        return self.service_form_back(obj)

    def service_form_done(
        self, request: HttpRequest, obj, *, change: str, message: str, success_url: str | None = None
    ) -> HttpResponseRedirect:
        """Log what staff did to the object, tell them, and go back to its page (or ``success_url``)."""
        self.log_change(request, obj, change)
        self.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(success_url) if success_url else self.service_form_back(obj)

    def service_form_confirming(self, request: HttpRequest) -> bool:
        """Whether the POST is the preview's "_confirm" (and not its "_back")."""
        return "_confirm" in request.POST and "_back" not in request.POST

    def service_form_previewing(self, request: HttpRequest, form: forms.BaseForm) -> bool:
        """Whether a valid POST asks to see the consequences: neither confirming nor going back."""
        return (
            request.method == "POST"
            and "_confirm" not in request.POST
            and "_back" not in request.POST
            and form.is_valid()
        )

    def service_form_submit(
        self,
        request: HttpRequest,
        obj,
        form: forms.BaseForm,
        run: Callable[[dict], tuple],
        *,
        refusal: Literal["form", "page", "fields"] = "form",
        confirm: bool = False,
        success_url: str | None = None,
    ) -> HttpResponse | None:
        """On a valid POST, ``run(cleaned_data)`` the service; None means: show the form (again).

        ``run`` returns the change to log and the message for staff, and may add the object as
        the service handed it back (services re-read the row they lock), so that the log names
        it as it is now. With ``confirm`` the service runs only from the preview's "_confirm".

        A service's refusal is shown on the form (``"form"``) or on the object's page
        (``"page"``). With ``"fields"``, a refusal that names fields is shown beside them and
        above the form; one that names none is about the object, and goes to its page.
        """
        if request.method != "POST" or not form.is_valid():
            return None
        if confirm and not self.service_form_confirming(request):
            return None
        try:
            change, message, *now = run(form.cleaned_data)
        except ApplicationError as error:
            if refusal == "page" or (refusal == "fields" and not error.errors):
                return self.service_form_refuse(request, obj, error.message)
            if refusal == "fields":
                self.message_user(request, error.message, messages.ERROR)
            form_errors_from(form, error)
            return None
        return self.service_form_done(
            request, now[0] if now else obj, change=change, message=message, success_url=success_url
        )

    def service_form_page(
        self,
        request: HttpRequest,
        obj,
        form: forms.BaseForm,
        run: Callable[[dict], tuple],
        template: str,
        *,
        title: str,
        refusal: Literal["form", "page", "fields"] = "form",
        success_url: str | None = None,
        **context,
    ) -> HttpResponse:
        """A one-step page: on a valid POST run the service (``service_form_submit``), else show the form."""
        done = self.service_form_submit(request, obj, form, run, refusal=refusal, success_url=success_url)
        if done is not None:
            return done
        return self.service_form_render(request, obj, template, title=title, form=form, **context)

    def service_form_render(
        self, request: HttpRequest, obj, template: str, *, title: str, **context
    ) -> TemplateResponse:
        """The custom page about ``obj``, with the admin's own frame (header, breadcrumbs)."""
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "subtitle": str(obj),
                "opts": self.opts,
                "original": obj,
                "has_view_permission": self.has_view_permission(request, obj),
                **context,
            },
        )


class ServiceOnlyAdminMixin:
    """An object that only services create and move: no add, no delete, no save buttons.

    Its page shows read-only fields; the change permission still says who may use the
    custom pages that run the services.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)


# --- Bulk actions -------------------------------------------------------------------------------

BULK_SHOWN = 50  # rows named on a bulk action's form; the rest are counted


def bulk_apply(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset,
    run: Callable[[Any], object],
    *,
    done: Callable[[int], str],
) -> None:
    """Run ``run(obj)`` (a service, its own transaction) on each selected row in turn; say how
    many were done (``done(n)``) and, row by row, why the others were refused."""
    count, refused = 0, []
    for obj in queryset.order_by("pk"):
        try:
            run(obj)
        except ApplicationError as error:
            refused.append(format_html("#{}: {}", obj.pk, error.message))
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done(count), messages.SUCCESS)
    if refused:
        head = ngettext("%(n)d not done:", "%(n)d not done:", len(refused)) % {"n": len(refused)}
        why = format_html_join("; ", "{}", ((line,) for line in refused))
        modeladmin.message_user(request, format_html("{} {}", head, why), messages.WARNING)


def bulk_form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset,
    *,
    form_class: type[forms.Form],
    title: str,
    intro: str,
    submit_label: str,
    run: Callable[[Any, dict], object],
    done: Callable[[int], str],
    form_kwargs: dict | None = None,
) -> HttpResponse | None:
    """An admin action that asks for something first (an agent, a note), in the shape of Django's
    ``delete_selected``: the changelist's POST shows the form beside the selected rows; the form's
    POST (``apply``) runs ``run(obj, cleaned_data)`` on each (``bulk_apply``) and goes back to the
    filtered list."""
    applying = "apply" in request.POST
    form = form_class(request.POST if applying else None, **(form_kwargs or {}))
    if applying and form.is_valid():
        bulk_apply(modeladmin, request, queryset, lambda obj: run(obj, form.cleaned_data), done=done)
        return None
    rows = list(queryset.order_by("pk")[: BULK_SHOWN + 1])
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "intro": intro,
        "submit_label": submit_label,
        "form": form,
        "opts": modeladmin.opts,
        "shown": rows[:BULK_SHOWN],
        "count": queryset.count() if len(rows) > BULK_SHOWN else len(rows),
        "selected": list(queryset.order_by("pk").values_list("pk", flat=True)),
        "action": request.POST.get("action", ""),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/bulk_action.html", context)


class AgeBandsFilter(admin.SimpleListFilter):
    """A list filter on how long ago a row was created, in bands of whole days.

    ``bands`` maps each choice to its label and its bounds in days: at least the first, under
    the second (None: unbounded).
    """

    title = _("age")
    parameter_name = "age"
    bands: dict[str, tuple[Promise, int | None, int | None]] = {}

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, Promise]]:
        return [(value, label) for value, (label, _at_least, _under) in self.bands.items()]

    def queryset(self, request: HttpRequest, queryset):
        if self.value() not in self.bands:
            return queryset
        _label, at_least, under = self.bands[self.value()]
        now = timezone.now()
        if at_least is not None:
            queryset = queryset.filter(created_at__lte=now - timedelta(days=at_least))
        if under is not None:
            queryset = queryset.filter(created_at__gt=now - timedelta(days=under))
        return queryset


class IsSetFilter(admin.SimpleListFilter):
    """A list filter of two choices, "yes" and "no", on whether ``field`` holds a value.

    ``yes_when_set`` says which is which: a reversal or an order is "yes" when it is set; a
    restriction or a block is "yes" (active, in force) while its lifted time is empty.
    """

    field: str
    yes_when_set = True
    labels = (_("yes"), _("no"))

    def lookups(self, request: HttpRequest, model_admin) -> tuple:
        yes, no = self.labels
        return (("yes", yes), ("no", no))

    def queryset(self, request: HttpRequest, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        is_set = (self.value() == "yes") == self.yes_when_set
        return queryset.filter(**{f"{self.field}__isnull": not is_set})


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
    fields = ("at", "transition", "from_state", "to_state", "actor", "actor_role", "reason_text")
    readonly_fields = fields
    ordering = ("at", "id")
    verbose_name = _("transition")
    verbose_name_plural = _("transition log")

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("actor")


@admin.register(TransitionLog)
class TransitionLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "subject_link", "transition", "from_state", "to_state", "actor", "actor_role", "reason_text")
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
        "reason_text",
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
