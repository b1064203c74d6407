"""Demo step "triage": the first model trained on the demo street's year of cases, and suggestions
for the cases still waiting for the dispatcher, so that `./dev demo` shows them on the case page.

The demo's texts come from a few templates per category: the model learns them almost perfectly,
which says nothing about real citizen messages (see docs/decisions/0032).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from civicgrid.cases.models import Case
from civicgrid.demo.registry import DemoContext, register_step
from civicgrid.triage import rules, services
from civicgrid.triage.models import Decision, Suggestion, Threshold, TriageModel


def generate(ctx: DemoContext) -> None:
    with ctx.progress.phase(_("triage: the first model")) as phase:
        try:
            row = services.train(note="demo")
        except ValidationError:
            return
        phase.add(_("labelled cases"), row.training_size)
        waiting = Case.objects.filter(state__in=rules.OPEN_FOR_TRIAGE, department__isnull=True).order_by(
            "-id"
        )[:200]
        for case in waiting:
            services.suggestions(case)
        phase.add(_("cases with suggestions"), len(waiting))


def cleanup(ctx: DemoContext) -> None:
    Decision.objects.all().delete()
    Suggestion.objects.all().delete()
    Threshold.objects.all().delete()
    TriageModel.objects.all().delete()


register_step("triage", generate, cleanup, order=160)
