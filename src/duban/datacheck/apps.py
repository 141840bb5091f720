from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatacheckConfig(AppConfig):
    name = "duban.datacheck"
    label = "datacheck"
    verbose_name = _("大数据监督")

    def ready(self) -> None:
        from duban.datacheck import escalation  # noqa: F401  (the built-in escalation targets)
