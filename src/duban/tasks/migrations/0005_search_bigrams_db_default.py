from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0004_search_bigrams'),
    ]

    operations = [
        migrations.AlterField(
            model_name='task',
            name='search_bigrams',
            field=models.TextField(blank=True, db_default='', default='', editable=False),
        ),
    ]
