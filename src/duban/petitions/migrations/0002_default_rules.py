from django.db import migrations

DEFAULTS = [  # key, level, threshold, window_days (docs/indicators.md, petitions)
    ("group", "orange", 5, 0),
    ("repeat_person", "yellow", 1, 90),
    ("repeat_matter", "yellow", 2, 30),
    ("sensitive", "yellow", 0, 0),
    ("deadline_soon", "blue", 0, 3),
    ("overdue", "red", 0, 0),
]


def forwards(apps, schema_editor):
    WarningRule = apps.get_model("petitions", "WarningRule")
    for key, level, threshold, window in DEFAULTS:
        WarningRule.objects.get_or_create(key=key, defaults={"level": level, "threshold": threshold,
                                                             "window_days": window})


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
