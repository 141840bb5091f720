"""Character-pair search column for one- and two-character terms (see duban.tasks.search):
add it, fill it for existing tasks in batches, and on PostgreSQL index it with trigrams when
pg_trgm is available (the same optional-optimisation rule as 0002)."""

from django.db import migrations, models, transaction

BATCH = 2000


def fill(apps, schema_editor):
    from duban.tasks.search import bigrams

    Task = apps.get_model("tasks", "Task")
    last = 0
    while True:
        rows = list(Task.objects.filter(pk__gt=last).order_by("pk").only("pk", "title", "detail")[:BATCH])
        if not rows:
            break
        for row in rows:
            row.search_bigrams = bigrams(row.title, row.detail)
        Task.objects.bulk_update(rows, ["search_bigrams"])
        last = rows[-1].pk


def index(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cur.fetchone() is None:
            return
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        cur.execute("CREATE INDEX IF NOT EXISTS tasks_task_bigrams_trgm ON tasks_task "
                    "USING gin (search_bigrams gin_trgm_ops)")


def unindex(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS tasks_task_bigrams_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0003_notification_integrity_kind'),
    ]

    operations = [
        migrations.AddField(
            model_name='task',
            name='search_bigrams',
            field=models.TextField(blank=True, default='', editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(index, unindex),
    ]
