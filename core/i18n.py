"""Text written for someone else: built now, translated once it is known who reads it.

A notification is stored in its recipient's language, whoever caused it: a person browsing
in another language, or a sweep running in the site's default one. So services hand over a
``Translatable`` instead of a translated string: a msgid marked with ``gettext_noop``
(makemessages extracts it like any other string) and its parameters, which may be
translatables or lazy labels (``CancelReason(code).label``) themselves. Rendering translates
it in the active language::

    Translatable(gettext_noop("Order #%(id)s “%(title)s” is late"), {"id": order.pk, "title": order.title})
    Joined("\\n\\n", [request.message, Translatable(gettext_noop("Accept or decline by %(at)s."), {"at": at})])

Plain strings pass through untouched: what a user wrote is never translated. A ``Moment`` in
the parameters is a time shown in the reader's time zone (the active one when rendered).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import get_supported_language_variant, gettext, pgettext

from core.timeutils import when_text


class Translatable:
    """A msgid and its parameters; translated (and the parameters filled in) when rendered."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: Mapping[str, Any] | None = None) -> None:
        self.msgid = msgid
        self.params = params

    def render(self, catalog: Catalog | None = None) -> str:
        """The text in the active language (through ``catalog`` when rendering a batch)."""
        if catalog is None:
            catalog = Catalog()
        text = catalog.gettext(self.msgid)
        params = self.params
        if params is None:
            return text
        for value in params.values():
            if isinstance(value, LAZY):
                params = {key: catalog.render(value) for key, value in params.items()}
                break
        return text % params

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Translatable({self.msgid!r}, {self.params!r})"


class Joined:
    """Texts (translatables, lazy strings or plain ones) joined by ``separator`` once each is rendered."""

    __slots__ = ("parts", "separator")

    def __init__(self, separator: str, parts: Iterable[Any]) -> None:
        self.separator = separator
        self.parts = tuple(parts)

    def render(self, catalog: Catalog | None = None) -> str:
        if catalog is None:
            catalog = Catalog()
        return self.separator.join(str(catalog.render(part)) for part in self.parts)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Joined({self.separator!r}, {self.parts!r})"


class Moment:
    """A moment in a text for someone else: shown in the reader's time zone (the active one when
    rendered), its zone named (``2026-12-03 23:17 CST``), never as a raw ISO timestamp."""

    __slots__ = ("value",)

    def __init__(self, value: datetime) -> None:
        self.value = value

    def render(self, catalog: Catalog | None = None) -> str:
        return when_text(self.value)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Moment({self.value!r})"


Text = str | Translatable | Joined | Moment | Promise
LAZY = (Translatable, Joined, Moment, Promise)


class Catalog:
    """Renders texts in the active language, looking each msgid up once and each shared text
    (one translatable for both parties of an order, one lazy label for a whole batch) rendering
    once: for a batch of texts in one language. Shared texts are known by identity, so keep a
    catalog only while the texts it rendered are alive (one batch)."""

    __slots__ = ("_msgids", "_texts")

    def __init__(self) -> None:
        self._msgids: dict[str, str] = {}
        self._texts: dict[int, str] = {}

    def gettext(self, msgid: str) -> str:
        text = self._msgids.get(msgid)
        if text is None:
            text = self._msgids[msgid] = gettext(msgid)
        return text

    def render(self, value: Any) -> Any:
        """``value`` translated if it is a translatable, joined texts or a lazy string; as it is otherwise."""
        if not isinstance(value, LAZY):
            return value
        text = self._texts.get(id(value))
        if text is None:
            text = self._texts[id(value)] = str(value) if isinstance(value, Promise) else value.render(self)
        return text

    def text(self, value: Text) -> str:
        """``value`` as a string in the active language."""
        return value if isinstance(value, str) else self.render(value)


def is_lazy(value: Any) -> bool:
    """Whether ``value`` still has to be translated (a translatable, joined texts or a lazy string)."""
    return isinstance(value, LAZY)


def supported_language(code: str | None) -> str:
    """The code of ``settings.LANGUAGES`` closest to ``code`` ("zh-hans" for "zh-CN", "en" for "en-us"); "" if none."""
    if not code:
        return ""
    try:
        return get_supported_language_variant(code.lower())
    except LookupError:
        return ""


# --- Text stored for whoever reads it later ------------------------------------------------------
# A row written by the system (a timeline entry, a credit event's detail) keeps its text as a
# msgid with parameters, marked by STORED, and is rendered in the reader's language and time
# zone each time it is read. What a person wrote stays as they wrote it (a plain string).

STORED = "\x1fi18n:"


def _encoded(value: Any) -> Any:
    if isinstance(value, Translatable):
        encoded: dict[str, Any] = {"t": value.msgid}
        if value.params is not None:
            encoded["p"] = {key: _encoded(item) for key, item in value.params.items()}
        return encoded
    if isinstance(value, Joined):
        return {"j": value.separator, "x": [_encoded(part) for part in value.parts]}
    if isinstance(value, Moment):
        return {"m": value.value.isoformat()}
    if isinstance(value, Promise):  # a lazy label (TextChoices): its msgid, and its context if any
        args = getattr(value, "_args", ())
        if len(args) == 1 and isinstance(args[0], str):
            return {"t": args[0]}
        if len(args) == 2 and all(isinstance(arg, str) for arg in args):
            return {"c": args[0], "t": args[1]}
        return str(value)
    if isinstance(value, datetime):
        return {"m": value.isoformat()}
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


class _InContext(Translatable):
    """A stored ``pgettext_lazy`` label."""

    __slots__ = ("context",)

    def __init__(self, context: str, msgid: str) -> None:
        super().__init__(msgid)
        self.context = context

    def render(self, catalog: Catalog | None = None) -> str:
        return pgettext(self.context, self.msgid)


def _decoded(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "m" in value:
        return Moment(datetime.fromisoformat(value["m"]))
    if "j" in value:
        return Joined(value["j"], [_decoded(part) for part in value.get("x", ())])
    if "c" in value:
        return _InContext(value["c"], value["t"])
    params = value.get("p")
    return Translatable(
        value["t"], {key: _decoded(item) for key, item in params.items()} if params is not None else None
    )


def text_store(value: Text | None) -> str:
    """``value`` as it is kept in a text column: a plain string as it is, anything still to be
    translated (a translatable, joined texts, a moment, a lazy label) as its msgid and parameters."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Promise):
        return value
    return STORED + json.dumps(_encoded(value), ensure_ascii=False, separators=(",", ":"))


def text_render(stored: str | None) -> str:
    """A stored text in the active language and time zone (a plain string as it is)."""
    if not stored or not stored.startswith(STORED):
        return stored or ""
    try:
        value = _decoded(json.loads(stored[len(STORED) :]))
        return str(Catalog().text(value))
    except (ValueError, KeyError, TypeError, AttributeError):  # never a 500 over one odd row
        return ""
