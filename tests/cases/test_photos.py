"""Photos: images only, size capped, EXIF location used for the place, then stripped."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.cases import photos, services
from civicgrid.cases.models import Attachment


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def dms(value):
    from PIL.TiffImagePlugin import IFDRational

    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60 * 100)
    return (IFDRational(d, 1), IFDRational(m, 1), IFDRational(s, 100))


def jpeg_with_gps(lng=120.105, lat=30.205, fmt="JPEG"):
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    gps = {1: "N", 2: dms(lat), 3: "E", 4: dms(lng)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def test_the_exif_location_places_the_report_and_is_stripped(city):
    result = services.intake(channel="resident_app", description="井盖缺失", photos=[jpeg_with_gps()])
    case = result.case
    assert case.grid_id == city.grid.pk
    assert abs(case.lng - 120.105) < 1e-4 and abs(case.lat - 30.205) < 1e-4
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "image/jpeg" and (attachment.width, attachment.height) == (64, 48)
    with attachment.file.open("rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
        assert not stored.getexif()
        assert b"PhoneMaker" not in attachment.file.open("rb").read()


def test_png_and_webp_are_accepted():
    for fmt, ctype in (("PNG", "image/png"), ("WEBP", "image/webp")):
        out = io.BytesIO()
        Image.new("RGB", (10, 10)).save(out, fmt)
        cleaned = photos.clean_photo(SimpleUploadedFile("x", out.getvalue()))
        assert cleaned.content_type == ctype


def test_anything_but_an_image_is_refused():
    with pytest.raises(ValidationError):
        photos.clean_photo(SimpleUploadedFile("x.jpg", b"<script>alert(1)</script>"))
    with pytest.raises(ValidationError):
        photos.clean_photo(SimpleUploadedFile("x.gif", b"GIF89a" + b"\0" * 100))
    with pytest.raises(ValidationError):  # JPEG magic, broken body
        photos.clean_photo(SimpleUploadedFile("x.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 100))


def test_photos_over_the_size_cap_are_refused(monkeypatch):
    monkeypatch.setattr(photos, "MAX_BYTES", 1000)
    out = io.BytesIO()
    Image.effect_noise((200, 200), 50).convert("RGB").save(out, "PNG")
    assert len(out.getvalue()) > 1000
    with pytest.raises(ValidationError):
        photos.clean_photo(SimpleUploadedFile("big.png", out.getvalue()))


def test_handlers_attach_photos_of_the_result(city, people, report):
    case = services.accept(services.dispatch(report(), people.dispatcher, city.dept), people.handler)
    services.mark_handled(case, people.handler, "已清理", photos=[jpeg_with_gps()])
    attachment = services.add_attachment(case, people.handler, jpeg_with_gps(), kind="handling")
    assert Attachment.objects.filter(case=case, kind="handling").count() == 2
    assert attachment.uploaded_by == people.handler
