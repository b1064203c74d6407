"""Photos on a case: checked (count first, then type, size, EXIF stripped) and stored."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import (
    Attachment,
    Case,
)
from ..workflow import (
    AttachmentKind,
)
from .moves import Actor, CaseRef, _actor, _Move

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from ..photos import CleanPhoto


def _clean(upload: UploadedFile | CleanPhoto) -> CleanPhoto:
    """A checked photo; one already checked (a CleanPhoto, e.g. by a form) is taken as it is."""
    from ..photos import CleanPhoto, clean_photo

    return upload if isinstance(upload, CleanPhoto) else clean_photo(upload)


def _clean_photos(uploads: Sequence[UploadedFile | CleanPhoto]) -> list[CleanPhoto]:
    """The checked photos of one action; more than MAX_PHOTOS is refused before any is decoded."""
    from ..photos import MAX_PHOTOS

    uploads = [u for u in uploads if u]
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError(_("Attach at most %(count)d photos.") % {"count": MAX_PHOTOS})
    return [_clean(u) for u in uploads]


def _save_photo(case: Case, photo: CleanPhoto, by: Actor, kind: str) -> Attachment:
    attachment = Attachment(
        jurisdiction=case.jurisdiction,
        case=case,
        content_type=photo.content_type,
        size=len(photo.content),
        width=photo.width,
        height=photo.height,
        kind=kind,
        uploaded_by=_actor(by),
    )
    attachment.file.save(f"{secrets.token_hex(8)}.{photo.extension}", ContentFile(photo.content), save=False)
    attachment.save()
    return attachment


def add_attachment(
    case: CaseRef,
    by: Actor,
    upload: UploadedFile | CleanPhoto,
    *,
    kind: str = AttachmentKind.REPORT,
    expected_version: int | None = None,
) -> Attachment:
    """Attach a photo (checked, metadata stripped) to a case."""
    photo = _clean(upload)
    with transaction.atomic():
        move = _Move(case, "add_attachment", by, expected_version)
        attachment = _save_photo(move.case, photo, by, kind)
        move.finish(data={"attachment": attachment.pk, "kind": kind}, emit=False)
    return attachment
