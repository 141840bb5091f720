from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", _("督查室")
    UNIT_ADMIN = "unit_admin", _("单位管理员")
    LIAISON = "liaison", _("联络员")
    LEADER = "leader", _("领导")
    DISCIPLINE = "discipline", _("纪委")
    SYSADMIN = "sysadmin", _("系统管理员")
    SECADMIN = "secadmin", _("安全管理员")
    AUDITOR = "auditor", _("审计管理员")


# 三员: the three separated administrators. One account holds at most one role, so an
# administrator can never also hold another administrator's (or a business) role.
ADMIN_ROLES = frozenset({Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR})
