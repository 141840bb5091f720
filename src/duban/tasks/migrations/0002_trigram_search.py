"""Trigram GIN indexes so `title/detail ILIKE '%词%'` stays fast at a million tasks on PostgreSQL.

Vendor-conditional: SQLite has no pg_trgm (icontains is a plain scan there, fine at its scale).
If the extension cannot be created (no privilege, not installed), the indexes are skipped and
search still works, only slower; the migration must not fail a deployment for an optimisation.
"""

from django.db import migrations, transaction

INDEXES = (
    ("tasks_task_title_trgm", "title"),
    ("tasks_task_detail_trgm", "detail"),
)


def forwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=conn.alias), conn.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - optional optimisation, see the docstring
        return
    with conn.cursor() as cur:
        for name, column in INDEXES:
            cur.execute(f"CREATE INDEX IF NOT EXISTS {name} ON tasks_task USING gin ({column} gin_trgm_ops)")


def backwards(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cur:
        for name, _column in INDEXES:
            cur.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
