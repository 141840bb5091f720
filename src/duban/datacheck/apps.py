from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatacheckConfig(AppConfig):
    name = "duban.datacheck"
    label = "datacheck"
    verbose_name = _("大数据监督")

    def ready(self) -> None:
        from duban.datacheck import checks, escalation  # noqa: F401  (the data-key check; the built-in targets)
