from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    name = "duban.accountability"
    label = "accountability"
    verbose_name = _("问责")

    def ready(self):
        # A verified 大数据 lead can be handed on as a case (duban.datacheck, below us, keeps the registry).
        try:
            from duban.datacheck import escalation
        except ImportError:  # pragma: no cover - the tree may not have duban.datacheck
            return
        from duban.accountability.services import case_from_lead

        escalation.register("case", _("立案审查(问责事项)"), case_from_lead,
                            fields=[("person", _("问责人员编号")), ("unit", _("问责单位编号"))])
