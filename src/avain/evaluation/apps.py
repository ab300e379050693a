from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "avain.evaluation"
    verbose_name = _("Evaluation and cost-effectiveness")

    def ready(self):
        # planning may not import evaluation: it tells of the decision by a signal, sent inside the decision's
        # transaction, and the case's questionnaires are scheduled with it.
        from avain.planning import signals

        from . import services

        def schedule(sender, case, actor, **kwargs):
            services.schedule_on_decision(case=case, actor=actor)

        signals.case_decided.connect(schedule, dispatch_uid="evaluation.schedule_measurements", weak=False)
