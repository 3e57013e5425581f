from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemandsConfig(AppConfig):
    name = "courtyard.demands"
    label = "demands"
    verbose_name = _("Demands")

    def ready(self) -> None:
        from courtyard.core.audit import register_verb_labels
        from courtyard.demands.models import Demand, Whistle
        from courtyard.demands.rebuild import move_tallies
        from courtyard.places.tree import register_move_hook, register_path_copy

        register_path_copy(Demand)
        register_path_copy(Whistle)
        # The whistle permissions are declared beside the whistle actions.
        import courtyard.demands.whistles  # noqa: F401

        register_move_hook(move_tallies)
        register_verb_labels(
            {
                "submit_demand": _("demand raised"),
                "accept_demand": _("accepted"),
                "answer_demand": _("answered directly"),
                "decline_demand": _("declined"),
                "merge_demand": _("merged into another demand"),
                "dispatch_demand": _("dispatched"),
                "return_demand": _("returned by the unit"),
                "sign_demand": _("signed for by the unit"),
                "contact_requester": _("requester contacted"),
                "request_extension": _("more time asked"),
                "approve_extension": _("more time granted"),
                "refuse_extension": _("more time refused"),
                "reply_demand": _("replied"),
                "evaluate_demand": _("evaluated"),
                "reopen_demand": _("reopened"),
                "close_demand": _("closed"),
                "remind_demand": _("reminder sent"),
                "mark_overdue": _("overdue"),
                "escalate_demand": _("escalated"),
                "create_open311_client": _("Open311 client created"),
                "blow_whistle": _("whistle blown"),
                "report_to_whistle": _("reported on site"),
                "close_whistle": _("whistle closed"),
                "score_summons": _("scored"),
            }
        )
