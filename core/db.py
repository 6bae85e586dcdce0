"""Database helpers with no domain logic."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone


def bulk_update_rows(objs: Sequence[models.Model], fields: Sequence[str], *, batch_size: int = 1000) -> None:
    """Write ``fields`` of many rows, each with its own values, in one statement per batch.

    On PostgreSQL this is ``UPDATE … FROM (VALUES …)``, which is many times faster than
    Django's ``bulk_update`` (a CASE per field per row); elsewhere it falls back to it.
    """
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields, batch_size=batch_size)
        return
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    pk_col = connection.ops.quote_name(pk.column)
    sets = ", ".join(
        f"{connection.ops.quote_name(f.column)} = v.{connection.ops.quote_name(f.column)}" for f in columns
    )
    casts = [f"%s::{pk.db_type(connection)}"] + [f"%s::{f.db_type(connection)}" for f in columns]
    row_sql = "(" + ", ".join(casts) + ")"
    names = ", ".join([pk_col] + [connection.ops.quote_name(f.column) for f in columns])
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            chunk = objs[start : start + batch_size]
            params: list = []
            for obj in chunk:
                params.append(pk.get_db_prep_value(obj.pk, connection))
                for f in columns:
                    params.append(f.get_db_prep_save(getattr(obj, f.attname), connection))
            values = ", ".join([row_sql] * len(chunk))
            # The ANY() lets the planner reach the rows through the primary key instead of
            # hashing the VALUES against a scan of the whole table.
            sql = (
                f"UPDATE {table} SET {sets} FROM (VALUES {values}) AS v({names}) "  # noqa: S608 - identifiers are quoted model metadata; values are parameters
                f"WHERE {table}.{pk_col} = v.{pk_col} AND {table}.{pk_col} = ANY(%s::{pk.db_type(connection)}[])"
            )
            params.append([pk.get_db_prep_value(obj.pk, connection) for obj in chunk])
            cursor.execute(sql, params)


def _pg_allocate_ids(model: type[models.Model], count: int) -> list[int]:
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(model: type[models.Model], rows: Sequence[dict], *, with_ids: bool = False) -> list[int] | None:
    """Insert plain rows (attname → Python value) in bulk, without building model instances.

    Fields a row leaves out take their model default. On PostgreSQL the rows go through
    ``COPY`` (ids drawn from the table's sequence first when ``with_ids``); elsewhere
    through ``bulk_create``. Returns the new ids when ``with_ids``.
    """
    if not rows:
        return [] if with_ids else None
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not (f.primary_key and f.attname not in rows[0])]
    defaults = {}
    for f in fields:
        if f.attname not in rows[0] and not f.primary_key:
            defaults[f.attname] = f.get_default()  # "" for text fields, None for nullable ones
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                defaults[f.attname] = timezone.now()
    if connection.vendor != "postgresql":
        objs = [model(**{**defaults, **row}) for row in rows]
        model._default_manager.bulk_create(objs)
        return [o.pk for o in objs] if with_ids else None
    ids = None
    if with_ids and meta.pk.attname not in rows[0]:
        ids = _pg_allocate_ids(model, len(rows))
        fields = [meta.pk, *fields]
    columns = [f.attname for f in fields]
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for i, row in enumerate(rows):
            values = []
            for name in columns:
                if ids is not None and name == meta.pk.attname:
                    values.append(ids[i])
                else:
                    values.append(row[name] if name in row else defaults[name])
            copy.write_row(values)
    if with_ids:
        return ids if ids is not None else [row[meta.pk.attname] for row in rows]
    return None
