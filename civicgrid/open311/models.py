"""Open311 API clients: one row per integration (a city app, a hotline system, a partner's tool).

The key itself is never stored: only its SHA-256 and a short prefix to recognise it in the admin.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiClient(models.Model):
    name = models.CharField(_("name"), max_length=100)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    # First characters of the key, shown in the admin so a key can be recognised without storing it.
    key_prefix = models.CharField(_("key prefix"), max_length=8, editable=False)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, unique=True, editable=False)
    jurisdiction_ids = models.JSONField(
        _("jurisdictions allowed"),
        default=list,
        blank=True,
        help_text=_('District codes this client may post to, e.g. ["330106"]; empty allows every one.'),
    )
    rate_limit_per_minute = models.PositiveIntegerField(_("requests per minute"), default=60)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    key_issued_at = models.DateTimeField(_("key issued at"), null=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 API client")
        verbose_name_plural = _("Open311 API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def allows_jurisdiction(self, jurisdiction: str) -> bool:
        return not self.jurisdiction_ids or jurisdiction in self.jurisdiction_ids
