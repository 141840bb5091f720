"""Database-level immutability of the audit ledger (AU-04): UPDATE and DELETE are refused by a
trigger on SQLite and PostgreSQL alike, whatever client runs them. Also seeds the ledger head."""

from django.db import migrations

from duban.core import triggers


def install(apps, schema_editor):
    triggers.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    triggers.uninstall(schema_editor.connection)


def seed_head(apps, schema_editor):
    apps.get_model("core", "LedgerHead").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(install, uninstall),
        migrations.RunPython(seed_head, migrations.RunPython.noop),
    ]
