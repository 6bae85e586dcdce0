"""Form plumbing every app's pages share: accessible errors, and service refusals shown on fields."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from core.exceptions import ApplicationError

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class GigfairForm(forms.Form):
    """A form that marks invalid fields for assistive technology and takes service errors."""

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_invalid()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        if self._errors is not None:
            self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self._errors or {}:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_errors"

    def add_service_error(self, exc: ApplicationError, *, field_map: Mapping[str, str] | None = None) -> None:
        """Show a service's refusal: its field errors on their fields, the rest above the form."""
        field_map = field_map or {}
        placed = False
        for key, messages in exc.errors.items():
            name = field_map.get(key, key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each one's size and type (the one upload check).

    ``accept`` hints the browser's file picker (``"image/*,application/pdf"``); it checks nothing.
    """

    def __init__(self, *args, accept: str = "", **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": accept} if accept else None))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single_clean = super().clean
        if not data:
            return single_clean(None, initial) or []
        files = data if isinstance(data, list | tuple) else [data]
        return [single_clean(f, initial) for f in files]
