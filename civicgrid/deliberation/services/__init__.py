"""Every write in deliberation goes through these functions (web pages, admin, demo, tests).

Each one checks permission and the topic's current step (policy.py), opens a transaction, locks the
topic row, makes the change, writes the TopicEvent history row and an outbox row. Errors to catch:
PermissionDenied, StepRefused (a ValidationError: what the step does not allow), ValidationError,
TopicConflict. All carry translated messages.
"""

from .common import StepRefused, TopicConflict, current_step
from .councils import add_seat, council_for, members_for, set_procedure
from .followup import add_task, close_case, complete_milestone, complete_task, report_progress, task_progress
from .joint import hold_joint_meeting, joint_status, schedule_joint_meeting, send_joint_reminders
from .meetings import (
    close_meeting,
    close_vote,
    invite,
    minutes_record,
    open_meeting,
    put_motion,
    schedule,
    tally,
    vote,
)
from .publication import answer, current_publication, object_to, review
from .research import add_note, answer_survey, close_survey, counts, create_survey
from .topics import (
    advance,
    comment,
    decline,
    history,
    lawful_review,
    link_case,
    passed_motion,
    propose,
    raise_from_cases,
    raise_from_joint_meeting,
    support,
    take_up,
)

__all__ = [
    "StepRefused", "TopicConflict", "current_step",
    "add_seat", "council_for", "members_for", "set_procedure",
    "propose", "raise_from_cases", "raise_from_joint_meeting", "link_case", "support", "comment",
    "advance", "take_up", "decline", "history", "passed_motion", "lawful_review",
    "add_note", "create_survey", "answer_survey", "close_survey", "counts",
    "schedule", "invite", "open_meeting", "put_motion", "vote", "close_vote", "close_meeting", "tally",
    "minutes_record",
    "review", "object_to", "answer", "current_publication",
    "add_task", "report_progress", "complete_milestone", "complete_task", "close_case", "task_progress",
    "schedule_joint_meeting", "hold_joint_meeting", "joint_status", "send_joint_reminders",
]  # fmt: skip
