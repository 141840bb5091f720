"""Issue 10: list indexes that start with the owner (lead unit, post, leader) and the status and
end with the due date; the co-unit table indexed by unit first; and the task's progress as
columns (the lead unit's latest report), backfilled here and kept by the report services."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CO_INDEX = "tasks_task_co_units_unit_task_idx"

BACKFILL_PG = """
UPDATE tasks_task t
   SET latest_report_id = r.id, latest_percent = r.percent, latest_report_at = r.submitted_at
  FROM (SELECT DISTINCT ON (r.task_id) r.task_id, r.id, r.percent, r.submitted_at
          FROM tasks_progressreport r JOIN tasks_task x ON x.id = r.task_id AND x.lead_unit_id = r.unit_id
         ORDER BY r.task_id, r.submitted_at DESC, r.id DESC) r
 WHERE t.id = r.task_id
"""

BACKFILL_ANY = [
    """
UPDATE tasks_task SET latest_report_id = (
    SELECT r.id FROM tasks_progressreport r
     WHERE r.task_id = tasks_task.id AND r.unit_id = tasks_task.lead_unit_id
     ORDER BY r.submitted_at DESC, r.id DESC LIMIT 1)
 WHERE id IN (SELECT task_id FROM tasks_progressreport)
""",
    """
UPDATE tasks_task SET
    latest_percent = (SELECT r.percent FROM tasks_progressreport r WHERE r.id = tasks_task.latest_report_id),
    latest_report_at = (SELECT r.submitted_at FROM tasks_progressreport r WHERE r.id = tasks_task.latest_report_id)
 WHERE latest_report_id IS NOT NULL
""",
]


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        if schema_editor.connection.vendor == "postgresql":
            cursor.execute(BACKFILL_PG)
        else:
            for sql in BACKFILL_ANY:
                cursor.execute(sql)


def clear(apps, schema_editor):
    pass  # the columns are dropped by the reverse of AddField


class Migration(migrations.Migration):

    dependencies = [
        ('orgs', '0001_initial'),
        ('tasks', '0007_alter_notification_kind'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['lead_unit', 'status', 'due_date'], name='tasks_task_lead_status_due_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['responsible_post', 'status', 'due_date'], name='tasks_task_post_status_due_idx'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['responsible_leader', 'status', 'due_date'], name='tasks_task_leader_st_due_idx'),
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='tasks_task_lead_status_idx',
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='tasks_task_post_status_idx',
        ),
        migrations.RemoveIndex(
            model_name='task',
            name='tasks_task_leader_idx',
        ),
        migrations.RunSQL(
            f"CREATE INDEX {CO_INDEX} ON tasks_task_co_units (unit_id, task_id)",
            f"DROP INDEX {CO_INDEX}",
        ),
        migrations.AddField(
            model_name='task',
            name='latest_percent',
            field=models.PositiveSmallIntegerField(blank=True, editable=False, null=True, verbose_name='完成进度(%)'),
        ),
        migrations.AddField(
            model_name='task',
            name='latest_report',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tasks.progressreport', verbose_name='最新进展报告'),
        ),
        migrations.AddField(
            model_name='task',
            name='latest_report_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='最近报送时间'),
        ),
        migrations.RunPython(backfill, clear, elidable=True),
    ]
