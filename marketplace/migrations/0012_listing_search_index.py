"""Full-text search of listings on PostgreSQL: a GIN index on the weighted text vector that
``marketplace.search`` matches (title A, description B, location C; the ``simple``
configuration). Other databases search without it."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

NAME = "listing_search_idx"


def _index() -> GinIndex:
    vector = (
        SearchVector("title", weight="A", config="simple")
        + SearchVector("description", weight="B", config="simple")
        + SearchVector("location", weight="C", config="simple")
    )
    return GinIndex(vector, name=NAME)


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("marketplace", "Listing"), _index())


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("marketplace", "Listing"), _index())


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0011_reputation_early_access")]

    operations = [migrations.RunPython(add, remove)]
