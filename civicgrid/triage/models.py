"""Triage's data: the versioned models, the district's thresholds, and a row per suggestion and per
decision (so that the accuracy of the suggestions can be shown and checked)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.cases.models import Case, Category
from civicgrid.core.models import JurisdictionModel
from civicgrid.people.models import Department


class TriageModel(models.Model):
    """One trained version of the text classifier: the fitted model (a blob this application wrote)
    with the figures it was measured by. At most one is active; rolling back activates another."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("trained"), auto_now_add=True)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("trained by"),
        help_text=_("Empty when the worker trained it."),
    )
    training_size = models.PositiveIntegerField(_("labelled cases"))
    classes = models.PositiveIntegerField(pgettext_lazy("triage", "categories"))
    train_seconds = models.FloatField(_("training time (s)"))
    accuracy = models.FloatField(_("held-out accuracy"), null=True, blank=True)
    macro_f1 = models.FloatField(_("held-out macro-F1"), null=True, blank=True)
    top3_accuracy = models.FloatField(_("held-out top-3 accuracy"), null=True, blank=True)
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)
    blob = models.BinaryField(_("model"), editable=False)
    active = models.BooleanField(_("in use"), default=False)
    activated_at = models.DateTimeField(_("put in use"), null=True, blank=True)
    note = models.CharField(pgettext_lazy("triage", "note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-version"]
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="triage_one_active_model"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Threshold(JurisdictionModel):
    """Auto-dispatch (自动派单) for one category in one district: a case whose top suggestion is this
    category with at least this confidence is dispatched without waiting for the dispatcher. Off
    unless the district turns it on; never for petitions or emergencies (triage/rules.py)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", verbose_name=pgettext_lazy("triage", "category")
    )
    enabled = models.BooleanField(_("dispatch automatically"), default=False)
    min_confidence = models.FloatField(
        _("minimum confidence"), default=0.9, help_text=_("Between 0.5 and 1.")
    )
    updated_at = models.DateTimeField(_("changed"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        ordering = ["jurisdiction", "category__code"]
        verbose_name = _("auto-dispatch threshold")
        verbose_name_plural = _("auto-dispatch thresholds")
        constraints = [
            models.UniqueConstraint(fields=["category", "jurisdiction"], name="triage_threshold_key"),
        ]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.category} ≥ {self.min_confidence:.2f}"


class Suggestion(JurisdictionModel):
    """One of a case's top suggestions (rank 1–3), with the model version that made it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    rank = models.PositiveSmallIntegerField(_("rank"))
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", verbose_name=pgettext_lazy("triage", "category")
    )
    confidence = models.FloatField(_("confidence"))
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("triage", "department"),
    )
    # "rule", "parent rule", "category default", "history" or "" (handled in the chain).
    department_source = models.CharField(_("department from"), max_length=20, blank=True)
    # 0: the cold start alone (no trained model yet).
    model_version = models.PositiveIntegerField(_("model version"))
    cold_weight = models.FloatField(_("cold-start share"))
    created_at = models.DateTimeField(_("suggested"), auto_now_add=True)

    class Meta:
        ordering = ["case", "rank"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.UniqueConstraint(fields=["case", "rank", "jurisdiction"], name="triage_suggestion_key"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.rank} {self.category_id} {self.confidence:.2f}"


class Outcome(models.TextChoices):
    AUTO = "auto", pgettext_lazy("triage outcome", "dispatched automatically")
    CONFIRMED = "confirmed", pgettext_lazy("triage outcome", "suggestion confirmed")
    MANUAL = "manual", pgettext_lazy("triage outcome", "decided by the dispatcher")


class Decision(JurisdictionModel):
    """The final category and department of a case (its latest register or dispatch), beside what
    was suggested: the accuracy figure counts these."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="+", verbose_name=pgettext_lazy("triage", "category")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("triage", "department"),
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    # 1–3 when the final category was among the suggestions, else empty.
    suggested_rank = models.PositiveSmallIntegerField(_("rank of the final category"), null=True, blank=True)
    model_version = models.PositiveIntegerField(_("model version"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=pgettext_lazy("triage", "decided by"),
    )
    decided_at = models.DateTimeField(pgettext_lazy("triage", "decided"))
    event_id = models.BigIntegerField(_("history row"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=255)

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("triage decision")
        verbose_name_plural = _("triage decisions")
        indexes = [models.Index(fields=["decided_at"], name="triage_decision_at")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.category_id} ({self.outcome})"
