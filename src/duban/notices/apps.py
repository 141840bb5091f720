from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "duban.notices"
    label = "notices"
    verbose_name = _("通知")

    def ready(self):
        from duban.core import alerts
        from duban.notices.services import security_alert_notify

        alerts.register(security_alert_notify)  # IP-06: alerts reach the security administrators
