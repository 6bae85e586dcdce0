"""Reads compiled to SQL once per process, then run again with new arguments.

For the small reads of a hot endpoint, building a queryset and compiling it costs more than
running it: the order detail spent about 40 % of its time in Django's SQL compiler and the
prefetch machinery, for seven queries that PostgreSQL answers in a few milliseconds. A
:class:`PreparedRead` compiles its queryset once per database, with a marker for each
argument, and keeps the SQL, where each marker landed among the parameters and the
database's value converters. Each call then only binds the real arguments and runs the SQL;
with server-side binding on PostgreSQL the statement is prepared there too, so its plan is
reused as well.

The queryset stays the single description of the read (no SQL by hand), so the SQL is the
ORM's for whichever database runs it. Arguments are whole numbers (ids), or text for those
named in ``text``: a marker must come through the ORM unchanged to be found again among the
parameters, which compiling checks.

:func:`instance` and :func:`attach` turn the rows back into model instances with their
related objects and prefetched lists in place, so the serializers a queryset would feed read
them unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet

# Markers fit a 32-bit integer column: a larger value would be refused as out of range.
_MARKER_BASE = 1_987_654_000


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    slots: tuple[tuple[int, str], ...]  # (position among the parameters, argument name)
    names: tuple[str, ...]
    converters: dict


class PreparedRead:
    """A ``values_list()`` queryset made by ``build(**arguments)``, compiled once per database.

    Calling it with the arguments returns the rows as dicts keyed by the queryset's names.
    The arguments are whole numbers, but those also named in ``text``, which are strings.
    """

    def __init__(self, build: Callable[..., QuerySet], *arguments: str, text: tuple[str, ...] = ()) -> None:
        self._build = build
        self._arguments = arguments
        self._text = frozenset(text)
        if not self._text <= set(arguments):
            raise TypeError("text names arguments the read does not take")
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, **arguments: int | str) -> list[dict]:
        compiled = self._compiled.get(using) or self._compile(using)
        if set(arguments) != set(self._arguments):
            raise TypeError(f"expected the arguments {sorted(self._arguments)}, got {sorted(arguments)}")
        params = list(compiled.params)
        for position, name in compiled.slots:
            if name in self._text:
                params[position] = str(arguments[name])
            else:
                # The marker's type too: PostgreSQL's backend wraps some integers (psycopg's Int8).
                params[position] = type(compiled.params[position])(int(arguments[name]))
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [self._convert(row, compiled.converters, connection) for row in rows]
        names = compiled.names
        return [dict(zip(names, row, strict=True)) for row in rows]

    @staticmethod
    def _convert(row, converters: dict, connection) -> tuple:
        row = list(row)
        for position, (functions, expression) in converters.items():
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        return tuple(row)

    def _compile(self, using: str) -> _Compiled:
        with self._lock:
            if using in self._compiled:
                return self._compiled[using]
            markers = {
                name: f"prepared-argument-{index}-{_MARKER_BASE}" if name in self._text else _MARKER_BASE + index
                for index, name in enumerate(self._arguments)
            }
            queryset = self._build(**markers)
            query = queryset.query
            compiler = query.get_compiler(using)
            sql, params = compiler.as_sql()
            slots = tuple(
                (position, name)
                for position, value in enumerate(params)
                for name, marker in markers.items()
                if isinstance(value, int | str) and not isinstance(value, bool) and value == marker
            )
            missing = set(markers) - {name for _position, name in slots}
            if missing:
                raise ValueError(f"the arguments {sorted(missing)} did not reach the SQL as parameters")
            names = (*query.extra_select, *query.values_select, *query.annotation_select)
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                slots=slots,
                names=tuple(names),
                converters=compiler.get_converters(fields),
            )
            self._compiled[using] = compiled
            return compiled


def instance(model: type[Model], row: dict, prefix: str = "", using: str = DEFAULT_DB_ALIAS) -> Model | None:
    """The ``model`` instance whose columns are the ``prefix``-ed keys of ``row`` (by attname),
    the others deferred; None when its primary key is null (a LEFT JOIN found nothing)."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        key = prefix + field.attname
        if key in row:
            names.append(field.attname)
            values.append(row[key])
    if row.get(prefix + model._meta.pk.attname) is None:
        return None
    return model.from_db(using, names, values)


def columns(model: type[Model], prefix: str = "", only: Iterable[str] | None = None) -> list[str]:
    """The ``values_list()`` names of ``model``'s columns (``only`` these if given), under ``prefix``."""
    keep = set(only) if only is not None else None
    return [
        prefix + field.attname
        for field in model._meta.concrete_fields
        if keep is None or field.name in keep or field.attname in keep
    ]


def attach(obj: Model, **prefetched: list) -> None:
    """Put lists where ``prefetch_related`` would: ``obj.<name>.all()`` returns them, no query."""
    cache = getattr(obj, "_prefetched_objects_cache", None)
    if cache is None:
        cache = obj._prefetched_objects_cache = {}
    cache.update(prefetched)
