"""Shared kernel models: base classes, the working-day calendar, the PII access log, the outbox."""

from django.conf import settings
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


class AccessLog(models.Model):
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

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.subject_type}#{self.subject_id}"


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
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox")
        indexes = [
            models.Index(
                fields=["available_at"], name="outbox_pending", condition=models.Q(done_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"
