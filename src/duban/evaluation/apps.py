from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "duban.evaluation"
    label = "evaluation"
    verbose_name = _("考评")

    def ready(self):
        # The accountability app (a lower layer) measures its deductions; the evaluation plugs it
        # into its accountability item. Without it the item scores zero with a note.
        if apps.is_installed("duban.accountability"):
            from duban.accountability.selectors import evaluation_provider
            from duban.evaluation.sources import register_accountability_provider

            register_accountability_provider(evaluation_provider)
