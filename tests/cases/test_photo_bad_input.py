"""Bad photos: judged by their bytes, not their name or declared type; a small file that declares a
huge picture is refused before decoding; text and location metadata never reach the stored file."""

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from civicgrid.cases import photos, services
from civicgrid.cases.models import Attachment, Case


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png_declaring(width: int, height: int) -> bytes:
    """A valid-looking PNG header for a width × height picture, with almost no data: a bomb's shape."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [8_000, 30_000, 100_000])
def test_a_small_file_declaring_a_huge_picture_is_refused_before_decoding(side):
    data = png_declaring(side, side)
    assert len(data) < 200
    with pytest.raises(ValidationError, match="megapixels|百万像素"):
        photos.clean_photo(SimpleUploadedFile("bomb.png", data, content_type="image/png"))


def test_a_script_named_like_a_photo_with_a_photo_type_is_refused():
    upload = SimpleUploadedFile("photo.png", b"<svg onload=alert(1)>", content_type="image/png")
    with pytest.raises(ValidationError):
        photos.clean_photo(upload)


def test_a_png_labelled_jpeg_is_stored_as_the_png_it_is(city):
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (1, 2, 3)).save(out, "PNG")
    upload = SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")
    case = services.intake(
        channel="resident_app", description="路灯不亮", area=city.grid, photos=[upload]
    ).case
    attachment = Attachment.objects.get(case=case)
    assert attachment.content_type == "image/png" and attachment.file.name.endswith(".png")


def test_text_metadata_with_a_name_and_phone_is_not_in_the_stored_file(city):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张晓明 13812345678")
    info.add_itxt("Comment", "住址 宝石社区1幢1单元101")
    out = io.BytesIO()
    Image.new("RGB", (32, 32), (9, 9, 9)).save(out, "PNG", pnginfo=info)
    assert b"13812345678" in out.getvalue()
    upload = SimpleUploadedFile("p.png", out.getvalue(), content_type="image/png")
    case = services.intake(
        channel="resident_app", description="井盖缺失", area=city.grid, photos=[upload]
    ).case
    with Attachment.objects.get(case=case).file.open("rb") as f:
        stored = f.read()
    assert b"13812345678" not in stored and "张晓明".encode() not in stored
    assert not Image.open(io.BytesIO(stored)).text


def test_a_refused_photo_takes_in_nothing(city):
    before = Case.objects.count()
    bomb = SimpleUploadedFile("bomb.png", png_declaring(50_000, 50_000), content_type="image/png")
    with pytest.raises(ValidationError):
        services.intake(channel="resident_app", description="井盖缺失", area=city.grid, photos=[bomb])
    assert Case.objects.count() == before
