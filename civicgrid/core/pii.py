"""Masking of personal data for display, and the log of every unmasked view.

Masked forms follow common Chinese practice: 张*明, 138****5678, 330***********1234.
"""

from __future__ import annotations

from django.http import HttpRequest

from .clientaddr import client_ip
from .models import AccessLog


def mask_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str) -> str:
    """z***@example.cn: the first letter and the domain (nothing to mask without an @)."""
    if not email or "@" not in email:
        return email
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_id_number(id_number: str) -> str:
    id_number = (id_number or "").strip()
    if len(id_number) < 8:
        return "*" * len(id_number)
    return id_number[:3] + "*" * (len(id_number) - 7) + id_number[-4:]


def log_unmasked_view(
    *, user, subject, fields: list[str], reason: str, request: HttpRequest | None = None
) -> AccessLog:
    """Write one access-log row; call it before showing unmasked data, never after."""
    ip = None
    path = ""
    if request is not None:
        ip = client_ip(request) or None
        path = request.get_full_path()[:300]
    return AccessLog.objects.create(
        user=user,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        fields=",".join(fields),
        reason=reason[:200],
        path=path,
        ip=ip,
    )
