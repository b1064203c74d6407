"""One photo limit for every way in (forms, services, API), counted before any photo is decoded."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.cases import forms, forms_staff, photos, services
from civicgrid.cases.models import Attachment, Case


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def decoded(monkeypatch):
    """Counts the photos that get decoded."""
    calls = []
    real = photos.clean_photo

    def counting(upload):
        calls.append(upload)
        return real(upload)

    monkeypatch.setattr(photos, "clean_photo", counting)
    return calls


def jpeg(n: int = 0):
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (n * 20 % 255, 40, 40)).save(out, "JPEG")
    return SimpleUploadedFile(f"p{n}.jpg", out.getvalue(), content_type="image/jpeg")


def too_many():
    return [jpeg(i) for i in range(photos.MAX_PHOTOS + 1)]


def test_a_report_with_one_photo_too_many_is_refused_before_any_photo_is_decoded(city, decoded):
    with pytest.raises(ValidationError) as error:
        services.intake(channel="resident_app", description="井盖缺失", unit=city.unit, photos=too_many())
    assert str(photos.MAX_PHOTOS) in error.value.messages[0]
    assert decoded == []
    assert Case.objects.count() == 0 and Attachment.objects.count() == 0


def test_a_report_with_as_many_photos_as_allowed_keeps_them_all(city, decoded):
    uploads = [jpeg(i) for i in range(photos.MAX_PHOTOS)]
    case = services.intake(
        channel="resident_app", description="井盖缺失", unit=city.unit, photos=uploads
    ).case
    assert case.attachments.count() == photos.MAX_PHOTOS == len(decoded)


def test_settling_on_the_spot_with_too_many_photos_is_refused_before_decoding(city, people, decoded):
    with pytest.raises(ValidationError):
        services.settle_on_spot(
            by=people.grid_worker, description="楼道堆物", result="已清理", unit=city.unit, photos=too_many()
        )
    assert decoded == [] and Case.objects.count() == 0


def test_handling_and_verifying_with_too_many_photos_are_refused_before_decoding(city, people, rule, decoded):
    case = services.intake(channel="resident_app", description="乱停车", unit=city.unit).case
    case = services.dispatch(case, people.dispatcher, city.dept)
    case = services.accept(case, people.handler)
    with pytest.raises(ValidationError):
        services.mark_handled(case, people.handler, "已清理", photos=too_many())
    case.refresh_from_db()
    assert case.state == "in_progress"
    case = services.mark_handled(case, people.handler, "已清理")
    with pytest.raises(ValidationError):
        services.verify(case, people.grid_worker, passed=True, photos=too_many())
    case.refresh_from_db()
    assert case.state == "handled" and decoded == []


def test_the_public_and_the_staff_forms_use_the_same_limit():
    assert forms.PhotosField().max_photos == photos.MAX_PHOTOS
    assert forms_staff.PhotosField().max_photos == photos.MAX_PHOTOS


def test_a_form_with_too_many_photos_decodes_none_of_them(decoded):
    field = forms.PhotosField()
    with pytest.raises(ValidationError):
        field.clean(too_many())
    assert decoded == []


def test_the_api_refuses_one_photo_too_many_before_decoding(city, people, decoded):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=people.resident_user)[0].key}"
    )
    body = {
        "channel": "resident_app",
        "description": "井盖缺失",
        "unit": city.unit.code,
        "photos": too_many(),
    }
    response = client.post("/api/v1/cases/", body, format="multipart")
    assert response.status_code == 400 and "photos" in response.json()["errors"]
    assert decoded == [] and Case.objects.count() == 0
