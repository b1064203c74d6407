"""Triage's rules as data, in one place: what is never dispatched automatically, how many
suggestions are shown, when the worker retrains, which cases teach the model."""

from __future__ import annotations

from django.db.models import Q

from civicgrid.cases.workflow import Channel, Kind, State

# Petitions (信访) and emergencies are always decided by a person, whatever the threshold says.
NEVER_AUTO_CHANNELS = frozenset({Channel.PETITION_LETTER, Channel.PETITION_VISIT, Channel.PETITION_ONLINE})
NEVER_AUTO_KINDS = frozenset({Kind.EMERGENCY})
# Only a department from the district's own data (a dispatch rule or the category's default) is
# ever used for an automatic dispatch; one learned from history is shown, never acted on alone.
AUTO_DEPARTMENT_SOURCES = frozenset({"rule", "parent rule", "category default"})
# States in which a suggestion may still be acted on (nobody has dispatched the case yet).
OPEN_FOR_TRIAGE = (State.SUBMITTED, State.REGISTERED, State.RETURNED)
# Suggestions per case (top-k) and the window of the accuracy figure.
TOP_K = 3
ACCURACY_DAYS = 30
# The worker retrains once a day when the labelled history grew by RETRAIN_GROWTH (share) or by
# RETRAIN_MIN_NEW cases since the model in use was trained.
RETRAIN_SECONDS = 24 * 3600
RETRAIN_GROWTH = 0.05
RETRAIN_MIN_NEW = 50
# A retrained model replaces the one in use unless its held-out accuracy is this much lower.
REPLACE_TOLERANCE = 0.02
# Most recent labelled cases used for training (bounds training time and memory).
MAX_TRAINING = 200_000
# Share of the labelled cases held out to measure a new model before it is fitted on all of them.
HOLDOUT = 0.2
# A department learned from history is suggested when at least this many past cases of the
# category in the area went to it.
HISTORY_MIN_CASES = 3


def labelled_q() -> Q:
    """Cases whose category a person has settled: taken into the loop (registered, dispatched or
    settled on the spot), not refused. Their category is final after any correction."""
    return Q(registered_at__isnull=False) & ~Q(state=State.NOT_ACCEPTED)
