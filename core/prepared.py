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
ORM's for whichever database runs it. Arguments are whole numbers (ids), text or moments: a
marker must come through the ORM unchanged to be found again among the parameters, which
compiling checks.

A read whose SQL bakes in more than its arguments (a number of days from the policy inside an
expression, a page's LIMIT and OFFSET) names those as its ``variant``: compiled once each, the
last few kept.

:func:`instance` and :func:`attach` turn the rows back into model instances with their
related objects and prefetched lists in place, so the serializers a queryset would feed read
them unchanged.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, Model, QuerySet

# Markers fit a 32-bit integer column: a larger value would be refused as out of range.
_MARKER_BASE = 1_987_654_000
_MARKER_MOMENT = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple
    # (position among the parameters, argument name, how its value is bound there)
    slots: tuple[tuple[int, str, Callable], ...]
    names: tuple[str, ...]
    converters: dict


# Compiled variants kept per read (a read with variants: one per policy's numbers, say).
_VARIANTS_KEPT = 32


class PreparedRead:
    """A ``values_list()`` queryset made by ``build(*variant, **arguments)``, compiled once per
    database and variant.

    Calling it with the arguments returns the rows as dicts keyed by the queryset's names. The
    arguments are whole numbers, but those named in ``text`` (strings) and in ``moments``
    (aware datetimes). What the queryset bakes into its SQL (a number of days in an expression,
    a page's bounds) is the ``variant``: a tuple passed on to ``build``, one compilation each.
    """

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *arguments: str,
        text: tuple[str, ...] = (),
        moments: tuple[str, ...] = (),
    ) -> None:
        self._build = build
        self._arguments = frozenset(arguments)
        self._text = frozenset(text)
        self._moments = frozenset(moments)
        if not (self._text | self._moments) <= self._arguments or self._text & self._moments:
            raise TypeError("text and moments name distinct arguments of the read")
        self._compiled: OrderedDict[tuple, _Compiled] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, *, using: str = DEFAULT_DB_ALIAS, variant: tuple = (), **arguments) -> list[dict]:
        if arguments.keys() != self._arguments:
            raise TypeError(f"expected the arguments {sorted(self._arguments)}, got {sorted(arguments)}")
        compiled = self._compiled.get((using, variant)) or self._compile(using, variant)
        params = list(compiled.params)
        for position, name, bind in compiled.slots:
            params[position] = bind(arguments[name])
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

    def _markers(self) -> dict:
        markers = {}
        for index, name in enumerate(sorted(self._arguments)):
            if name in self._text:
                markers[name] = f"prepared-argument-{index}-{_MARKER_BASE}"
            elif name in self._moments:
                markers[name] = _MARKER_MOMENT + timedelta(microseconds=index + 1)
            else:
                markers[name] = _MARKER_BASE + index
        return markers

    def _binder(self, name: str, marker, value, connection) -> Callable | None:
        """How an argument is bound where ``value`` stands among the parameters; None if ``value``
        is not its marker."""
        if isinstance(marker, datetime):
            if value == marker:
                return lambda moment: moment
            adapted = connection.ops.adapt_datetimefield_value(marker)
            if value == adapted and type(value) is type(adapted):
                return connection.ops.adapt_datetimefield_value  # SQLite binds a datetime as text
            return None
        if isinstance(value, bool) or not isinstance(value, type(marker)) or value != marker:
            return None
        if isinstance(marker, str):
            return str
        kind = type(value)  # PostgreSQL's backend wraps some integers (psycopg's Int8): keep the wrapper
        return lambda number: kind(int(number))

    def _compile(self, using: str, variant: tuple) -> _Compiled:
        with self._lock:
            if (using, variant) in self._compiled:
                return self._compiled[(using, variant)]
            connection = connections[using]
            markers = self._markers()
            queryset = self._build(*variant, **markers)
            query = queryset.query
            compiler = query.get_compiler(using)
            sql, params = compiler.as_sql()
            slots = []
            for position, value in enumerate(params):
                for name, marker in markers.items():
                    bind = self._binder(name, marker, value, connection)
                    if bind is not None:
                        slots.append((position, name, bind))
            missing = self._arguments - {name for _position, name, _bind in slots}
            if missing:
                raise ValueError(f"the arguments {sorted(missing)} did not reach the SQL as parameters")
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            compiled = _Compiled(
                sql=sql,
                params=tuple(params),
                slots=tuple(slots),
                # The columns come in the order values_list() named them (as NamedValuesListIterable reads them).
                names=tuple(queryset._fields) or (*query.extra_select, *query.values_select, *query.annotation_select),
                converters=compiler.get_converters(fields),
            )
            self._compiled[(using, variant)] = compiled
            while len(self._compiled) > _VARIANTS_KEPT:
                self._compiled.popitem(last=False)
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


def counted(queryset: QuerySet, by: str) -> QuerySet:
    """The number of ``queryset``'s rows as a ``values_list`` of ``n``, grouped by ``by``: a column
    the queryset already holds to one value (its one group), so a prepared read can run a count."""
    return queryset.order_by().values(by).annotate(n=Count("pk")).values_list("n")


def count_of(rows: list[dict]) -> int:
    """What a prepared read of :func:`counted` found: its one row's ``n``, or 0 without a row."""
    return rows[0]["n"] if rows else 0


class PreparedPages:
    """What Django's ``Paginator`` pages through, read by two prepared reads: ``count`` (one row,
    its ``n``; or the number itself, when it is known already) and ``rows`` (its variant is
    ``variant`` followed by the page's ``(start, stop)``), each row made into an object by
    ``make``. ``arguments`` go to both."""

    def __init__(
        self,
        *,
        count: PreparedRead | int,
        rows: PreparedRead,
        make: Callable[[dict], object],
        variant: tuple = (),
        **arguments,
    ):
        self._count, self._rows, self._make, self._variant, self._arguments = count, rows, make, variant, arguments

    def count(self) -> int:
        if isinstance(self._count, int):
            return self._count
        return count_of(self._count(**self._arguments))

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("pages are read by slices")
        if index.stop is not None and index.stop <= (index.start or 0):
            return []  # the empty first page of nothing (an empty slice compiles to no SQL)
        variant = (*self._variant, index.start or 0, index.stop)
        return [self._make(row) for row in self._rows(variant=variant, **self._arguments)]
