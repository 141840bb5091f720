from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0006_returned_and_instruction_reply'),
    ]

    operations = [
        migrations.AlterField(
            model_name='notification',
            name='kind',
            field=models.CharField(choices=[('assigned', '新交办任务'), ('returned', '办结申请被退回'), ('completed', '任务已办结'), ('cancelled', '任务已中止'), ('extension_decided', '延期申请已审批'), ('instruction', '领导批示'), ('instruction_reply', '批示已回复'), ('report_overdue', '进展报送逾期'), ('integrity_failure', '佐证材料完整性校验失败')], max_length=24, verbose_name='类型'),
        ),
    ]
