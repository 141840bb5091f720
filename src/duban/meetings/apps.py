from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "duban.meetings"
    label = "meetings"
    verbose_name = _("领导小组会议")
