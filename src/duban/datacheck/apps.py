from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatacheckConfig(AppConfig):
    name = "duban.datacheck"
    label = "datacheck"
    verbose_name = _("大数据监督")

    def ready(self) -> None:
        from duban.datacheck import escalation  # noqa: F401  (the built-in escalation targets)

    # `duban rotate-keys` (duban.core) re-encrypts files through these two hooks.
    def crypto_files_reencrypt(self) -> int:
        from duban.datacheck import services

        return services.files_reencrypt()

    def crypto_file_key_ids(self) -> dict[str, int]:
        from duban.datacheck import services

        return services.file_key_ids()
