"""Prompt search stays fast at a million rows on PostgreSQL: a trigram GIN index.

`GenerationQuerySet.search_prompt()` filters `prompt__icontains=word` once per word, which
PostgreSQL's backend writes as `UPPER(prompt::text) LIKE UPPER('%word%')`. A GIN index with
pg_trgm's gin_trgm_ops on that same expression serves exactly this LIKE (each word's trigrams
narrow the rows, ANDed across words), so the search code is the same on every database.

PostgreSQL only: pg_trgm is a PostgreSQL extension (trusted since PostgreSQL 13, so the
database owner may create it). SQLite keeps the scan. The index is built CONCURRENTLY (no lock
on inserts while it builds), hence a non-atomic migration. It lives outside Django's model
state: Django cannot express an opclass index on an expression portably.
"""

from django.db import migrations

INDEX = "generations_prompt_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON generations_generation "
        "USING gin (UPPER(prompt) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    # The extension stays: other objects may use it by then.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("generations", "0010_poll_learning")]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
