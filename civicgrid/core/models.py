"""Shared kernel models: base classes, the working-day calendar, the PII access log, the audit
log of administrative writes, the outbox."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JurisdictionModel(models.Model):
    """A row that belongs to an area carries its jurisdiction: the district code (tenant key).

    It is the future distribution column when a province is spread over Citus.
    """

    jurisdiction = models.CharField(_("jurisdiction"), max_length=12, db_index=True)

    class Meta:
        abstract = True


class CalendarDay(models.Model):
    """One day of the official calendar that differs from the plain week.

    A statutory holiday on a weekday is a day off; a weekend day worked in exchange (调休) is a
    working day. Days not listed follow the week: Monday to Friday work, Saturday and Sunday off.
    """

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=60, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {'work' if self.is_workday else 'off'} {self.name}"


class RecordIsPermanent(PermissionDenied):
    """An access-log or audit row was about to be changed or deleted: they are evidence."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are added, never updated or deleted through the ORM (the admin included)."""

    def update(self, **kwargs: Any) -> int:
        raise RecordIsPermanent(f"{self.model._meta.label} rows are never changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise RecordIsPermanent(f"{self.model._meta.label} rows are never deleted")

    def purge_synthetic_rows(self) -> int:
        """Delete these rows; only for the demo rebuild, which wipes its own synthetic accounts.

        Nothing a user can reach (views, the admin, the API) calls it.
        """
        return self._raw_delete(self.db)


class AppendOnlyModel(models.Model):
    """A record that is written once: saving an existing row or deleting one raises."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True
        # Only "view": no add, change or delete permission exists to grant anyone.
        default_permissions = ("view",)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise RecordIsPermanent(f"{self._meta.label} rows are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RecordIsPermanent(f"{self._meta.label} rows are never deleted")


class AccessLog(AppendOnlyModel):
    """Every unmasked view of personal data, written at the moment it is shown (PIPL)."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("user"))
    subject_type = models.CharField(_("subject type"), max_length=40)
    subject_id = models.CharField(_("subject id"), max_length=40)
    fields = models.CharField(_("fields"), max_length=200)
    reason = models.CharField(_("reason"), max_length=200)
    path = models.CharField(_("page"), max_length=300, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.subject_type}#{self.subject_id}"


class AuditEntry(AppendOnlyModel):
    """One administrative write (a role assigned, an area moved, a Party branch set up): who did
    what to which record, with the values before and after. Written by the services through
    `core.audit.record`, in the transaction of the write."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # The actor's username at the time (kept readable should the account be renamed).
    actor_name = models.CharField(_("by (username)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    subject_type = models.CharField(_("subject type"), max_length=40)
    subject_id = models.CharField(_("subject id"), max_length=40)
    subject_repr = models.CharField(_("subject"), max_length=200, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=12, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="audit_subject")]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.action} {self.subject_repr}"


class OutboxEvent(models.Model):
    """Work to do after a change, written in the same transaction as the change.

    The `civicgrid worker` loop claims rows (SKIP LOCKED on PostgreSQL) and runs the handler
    registered for the topic (see core/outbox.py).
    """

    topic = models.CharField(_("topic"), max_length=60, db_index=True)
    payload = models.JSONField(_("payload"), default=dict)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=12, blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    available_at = models.DateTimeField(_("available from"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    # A handler that kept failing MAX_ATTEMPTS times: a dead letter, never marked done; shown in the
    # admin, where an administrator retries it once the cause is fixed.
    dead_at = models.DateTimeField(_("given up"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(
                fields=["available_at"],
                name="outbox_due",
                condition=models.Q(done_at__isnull=True, dead_at__isnull=True),
            ),
            models.Index(fields=["done_at"], name="outbox_done", condition=models.Q(done_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"

    @property
    def status(self) -> str:
        if self.done_at:
            return "done"
        return "dead" if self.dead_at else "pending"


class PeriodicLease(models.Model):
    """One row per periodic job: the worker that updates `leased_until` from the past to the
    future runs the job; every other worker sees the lease and skips it until it expires, so a
    job runs once per period however many workers there are (and again after a crashed worker's
    lease runs out)."""

    name = models.CharField(_("job"), max_length=200, primary_key=True)
    leased_until = models.DateTimeField(_("leased until"))
    holder = models.CharField(_("worker"), max_length=120, blank=True)
    started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic job")
        verbose_name_plural = _("periodic jobs")

    def __str__(self) -> str:
        return self.name
