from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CouncilsConfig(AppConfig):
    name = "courtyard.councils"
    label = "councils"
    verbose_name = _("Councils")

    def ready(self) -> None:
        from courtyard.core.audit import register_verb_labels
        from courtyard.councils import rules  # noqa: F401  (registers the permissions)
        from courtyard.councils.models import Council, Meeting, Proposal, Resolution, Vote
        from courtyard.places.tree import register_path_copy

        for model in (Council, Proposal, Meeting, Vote, Resolution):
            register_path_copy(model)
        register_verb_labels(
            {
                "council_created": _("created the council"),
                "charter_changed": _("changed the charter"),
                "member_added": _("added a member"),
                "member_removed": _("ended a seat"),
                "roll_imported": _("imported an owners' roll"),
                "proposal_raised": _("raised the proposal"),
                "proposal_supported": _("supported the proposal"),
                "proposal_threshold_reached": _("reached the support threshold"),
                "proposal_screened": _("put the proposal on the agenda"),
                "proposal_declined": _("declined the proposal"),
                "proposal_withdrawn": _("withdrew the proposal"),
                "proposal_screening_overdue": _("screening deadline passed"),
                "meeting_scheduled": _("scheduled the meeting"),
                "motion_added": _("added a motion"),
                "meeting_announced": _("published the notice"),
                "meeting_opened": _("opened the meeting"),
                "attendance_recorded": _("recorded attendance"),
                "debate_started": _("opened the debate"),
                "floor_given": _("gave the floor"),
                "speech_ended": _("ended a speech"),
                "motion_deferred": _("deferred a motion"),
                "meeting_closed": _("closed the meeting"),
                "meeting_cancelled": _("cancelled the meeting"),
                "vote_created": _("prepared the vote"),
                "vote_opened": _("opened the vote"),
                "ballot_cast": _("cast a ballot"),
                "ballot_changed": _("changed a ballot"),
                "vote_closed": _("closed the vote"),
                "vote_cancelled": _("cancelled the vote"),
                "resolution_drafted": _("drafted the resolution"),
                "resolution_signed": _("signed the resolution"),
                "resolution_published": _("published the resolution"),
                "objection_filed": _("filed an objection"),
                "resolution_returned": _("returned the resolution to the council"),
                "resolution_in_effect": _("the resolution took effect"),
                "task_added": _("added a follow-up task"),
                "task_done": _("completed a task"),
                "task_dispatched": _("dispatched a task as a demand"),
                "resolution_done": _("the resolution was carried out"),
                "resolution_evaluated": _("evaluated the resolution"),
            }
        )
