"""Forms of the order pages: one small form per action; orders.services decides what is allowed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import GigfairForm, MultipleFileField

from .models import PERSON_REASONS, MessageReportReason
from .quotes import MAX_TOKEN_LENGTH


class OrderCreateForm(GigfairForm):
    requirements = forms.CharField(
        label=_("Your requirements (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Send them now and work starts at once; or send them later from the order page."),
    )


class RequirementsForm(GigfairForm):
    requirements = forms.CharField(
        label=_("What do you need?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The delivery time starts when you send this."),
    )


class DeliverForm(GigfairForm):
    message = forms.CharField(label=_("Message to the client"), widget=forms.Textarea(attrs={"rows": 4}))
    files = MultipleFileField(
        label=_("Files (optional)"),
        required=False,
        help_text=_("Images, PDF, ZIP or text; up to 10 MB each."),
    )


class RevisionForm(GigfairForm):
    message = forms.CharField(label=_("What should change?"), widget=forms.Textarea(attrs={"rows": 3}))


class ConfirmForm(GigfairForm):
    """A button with no fields (accept, check in, confirm); kept as a form to carry errors."""


class HandoverForm(GigfairForm):
    to = forms.CharField(
        label=_("Worker's username (optional)"),
        required=False,
        max_length=150,
        help_text=_("Leave it empty to offer the shift to any eligible worker: those on its waitlist are told."),
    )
    message = forms.CharField(
        label=_("A word for whoever takes it (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CancelForm(GigfairForm):
    """Confirm a quoted cancellation: why, optionally a word to the other party, and which quote."""

    reason = forms.ChoiceField(
        label=_("Why are you cancelling?"),
        choices=[("", _("Choose a reason…")), *PERSON_REASONS],
        help_text=_("The other party sees it; staff use it to see why orders are cancelled."),
        error_messages={"required": _("Choose a reason.")},
    )
    message = forms.CharField(
        label=_("Message to the other party (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # The quote the person saw: confirming binds exactly its terms. Kept as text, because
    # orders.cancellation parses it and says when it names no quote of this order.
    quote_id = forms.CharField(widget=forms.HiddenInput, max_length=MAX_TOKEN_LENGTH)


# --- The order's message thread ------------------------------------------------------------


class MessageForm(GigfairForm):
    body = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write to the other party…")}),
        error_messages={"required": _("Write a message.")},
    )
    files = MultipleFileField(
        label=_("Attach files (optional)"),
        accept="image/*,application/pdf",
        required=False,
        help_text=_("Images or PDF, up to 10 MB each, at most 5."),
    )


class MessageReportForm(GigfairForm):
    reason = forms.ChoiceField(
        label=_("What is wrong with it?"),
        choices=[("", _("Choose a reason…")), *MessageReportReason.choices],
        error_messages={"required": _("Choose a reason.")},
    )
    note = forms.CharField(
        label=_("Note for support"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the reason is “something else”."),
    )


class MessageReportResolveForm(forms.Form):
    """The back office closes a report (the admin renders it)."""

    note = forms.CharField(
        label=_("What was found and done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Kept with the report for the back office. The reporter is told the report was reviewed."),
    )


STARS = [(n, n) for n in range(5, 0, -1)]


class ReviewForm(GigfairForm):
    """A review of the other party: 1–5 stars and text (required for 1 or 2 stars)."""

    rating = forms.TypedChoiceField(
        label=_("Stars"),
        choices=STARS,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Give 1 to 5 stars."), "invalid_choice": _("Give 1 to 5 stars.")},
    )
    text = forms.CharField(
        label=_("Your review"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What was it like to work with them? Required for 1 or 2 stars."),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("rating") is not None and cleaned["rating"] <= 2 and not (cleaned.get("text") or "").strip():
            self.add_error("text", _("Say what went wrong: a review of 1 or 2 stars needs a few words."))
        return cleaned


class ReviewReplyForm(GigfairForm):
    text = forms.CharField(
        label=_("Your public answer"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write your answer.")},
    )
