"""Photo checks for case attachments: images only (by content, never by name or declared type), size
and pixel count capped (decompression bombs), EXIF location read, then every metadata block stripped.

`clean_photo(upload)` returns a `CleanPhoto` (re-encoded bytes without any metadata, the content type,
the size in pixels, and the WGS84 point from EXIF GPS when the camera recorded one), or raises a
translated ValidationError.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = int(os.environ.get("CIVICGRID_PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
MAX_PHOTOS = 6
# Longest side kept; larger photos are scaled down (phones send 4000+ px).
MAX_SIDE = 2560
# Decompression bombs: a small file can declare a huge picture. The size in the header is checked
# before any pixel is decoded; Pillow's own guard (an error at twice its limit) stays as a backstop.
MAX_PIXELS = int(os.environ.get("CIVICGRID_PHOTO_MAX_PIXELS", str(50_000_000)))
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG", "png"),
)
GPS_TAG = 0x8825


@dataclass
class CleanPhoto:
    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    lng: float | None = None
    lat: float | None = None


def sniff(head: bytes) -> tuple[str, str, str] | None:
    """(content type, Pillow format, extension) from the first bytes, or None if not an allowed image."""
    for magic, content_type, fmt, ext in SIGNATURES:
        if head.startswith(magic):
            return content_type, fmt, ext
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "WEBP", "webp"
    return None


def _read(upload) -> bytes:
    if hasattr(upload, "size") and upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(_("A photo may be at most %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1) if hasattr(upload, "read") else bytes(upload)
    if len(data) > MAX_BYTES:
        raise ValidationError(_("A photo may be at most %(mb)d MB.") % {"mb": MAX_BYTES // (1024 * 1024)})
    return data


def _ratio(value) -> float:
    try:
        return float(value)
    except (TypeError, ZeroDivisionError):
        num, den = value
        return num / den if den else 0.0


def _gps(exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(GPS_TAG)
    except Exception:  # a broken EXIF block is ignored: the photo is still usable
        return None, None
    if not gps or 2 not in gps or 4 not in gps:
        return None, None
    try:
        lat = sum(_ratio(v) / 60**i for i, v in enumerate(gps[2]))
        lng = sum(_ratio(v) / 60**i for i, v in enumerate(gps[4]))
    except (TypeError, ValueError):
        return None, None
    if gps.get(1) in ("S", b"S"):
        lat = -lat
    if gps.get(3) in ("W", b"W"):
        lng = -lng
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None, None
    return round(lng, 7), round(lat, 7)


def clean_photo(upload) -> CleanPhoto:
    data = _read(upload)
    kind = sniff(data[:16])
    if kind is None:
        raise ValidationError(_("Only photos (JPEG, PNG or WebP) can be attached."))
    content_type, fmt, ext = kind
    try:
        image: Image.Image = Image.open(io.BytesIO(data))  # reads the header only
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(
                _("This photo is too large in pixels (at most %(mp)d megapixels).")
                % {"mp": MAX_PIXELS // 1_000_000}
            )
        image.verify()  # structure check
        image = Image.open(io.BytesIO(data))
        if image.format != fmt:
            raise ValidationError(_("Only photos (JPEG, PNG or WebP) can be attached."))
        lng, lat = _gps(image.getexif())
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        if fmt == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        # Re-encoding writes the pixels only: no EXIF, GPS, XMP or ICC text is carried over.
        if fmt == "JPEG":
            image.save(out, "JPEG", quality=85, optimize=True)
        elif fmt == "PNG":
            image.save(out, "PNG", optimize=True)
        else:
            image.save(out, "WEBP", quality=85)
    except Image.DecompressionBombError as exc:
        raise ValidationError(
            _("This photo is too large in pixels (at most %(mp)d megapixels).")
            % {"mp": MAX_PIXELS // 1_000_000}
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(_("This file is not a readable photo.")) from exc
    return CleanPhoto(out.getvalue(), content_type, ext, image.width, image.height, lng, lat)
