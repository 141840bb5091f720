import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0005_search_bigrams_db_default'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='instruction',
            name='replied_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='回复时间'),
        ),
        migrations.AddField(
            model_name='instruction',
            name='replied_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='回复人'),
        ),
        migrations.AddField(
            model_name='instruction',
            name='reply_due',
            field=models.DateField(blank=True, null=True, verbose_name='回复时限'),
        ),
        migrations.AddField(
            model_name='instruction',
            name='reply_files',
            field=models.ManyToManyField(blank=True, related_name='+', to='tasks.evidence', verbose_name='回复附件'),
        ),
        migrations.AddField(
            model_name='instruction',
            name='reply_late',
            field=models.BooleanField(default=False, verbose_name='逾期回复'),
        ),
        migrations.AddField(
            model_name='instruction',
            name='reply_text',
            field=models.TextField(blank=True, default='', verbose_name='回复内容'),
        ),
        migrations.AddField(
            model_name='task',
            name='return_reason',
            field=models.TextField(blank=True, default='', verbose_name='退回理由'),
        ),
        migrations.AddField(
            model_name='task',
            name='returned_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='退回时间'),
        ),
        migrations.AddIndex(
            model_name='instruction',
            index=models.Index(condition=models.Q(('replied_at__isnull', True)), fields=['reply_due'], name='tasks_instruction_awaiting_idx'),
        ),
    ]
