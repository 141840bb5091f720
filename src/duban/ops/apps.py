from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "duban.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self):
        from django.db.models.signals import post_save

        from duban.core.models import AuditEntry
        from duban.ops.audit_ship import ship_on_commit

        # AU-09: each committed ledger entry also goes to the collector (DUBAN_AUDIT_SYSLOG).
        post_save.connect(ship_on_commit, sender=AuditEntry, dispatch_uid="duban.ops.audit_ship")
