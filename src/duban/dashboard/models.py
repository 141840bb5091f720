"""The speech's commitments (三个交账: yearly, three-year, five-year) shown on the dashboard's
timeline. A commitment follows the tasks found by its search term in the responsibility list, so
its numbers are that list's numbers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Horizon(models.TextChoices):
    YEARLY = "yearly", _("分年度交账")
    THREE_YEAR = "three_year", _("三年内交账")
    FIVE_YEAR = "five_year", _("五年内交账")


class Commitment(models.Model):
    title = models.CharField(_("交账事项"), max_length=200)
    horizon = models.CharField(_("期限"), max_length=12, choices=Horizon.choices)
    due_date = models.DateField(_("交账时间"))
    term = models.CharField(_("任务检索词"), max_length=50,
                            help_text=_("责任清单中以该词检索到的任务计入本事项"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("交账事项")
        verbose_name_plural = _("交账事项")
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return self.title
