"""Case photos are served only to those who may see the case, never as public files."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.authtoken.models import Token

from civicgrid.cases import services


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png():
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 120, 200)).save(out, "PNG")
    return SimpleUploadedFile("lamp.png", out.getvalue(), content_type="image/png")


@pytest.fixture
def reported(city, people):
    result = services.intake(
        channel="resident_app",
        description="路灯不亮",
        unit=city.unit,
        by=people.resident_user,
        photos=[png()],
    )
    return result, result.case.attachments.get()


def test_staff_in_scope_and_the_reporter_see_the_photo(client, people, reported):
    _, photo = reported
    for user in (people.grid_worker, people.dispatcher, people.resident_user):
        client.force_login(user)
        response = client.get(f"/cases/photo/{photo.pk}/")
        assert response.status_code == 200, user.username
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"].startswith("private")


def test_staff_out_of_scope_and_anonymous_visitors_do_not(client, people, reported):
    _, photo = reported
    assert client.get(f"/cases/photo/{photo.pk}/").status_code == 404
    client.force_login(people.other_grid_worker)
    assert client.get(f"/cases/photo/{photo.pk}/").status_code == 404


def test_the_follow_link_shows_its_own_case_photos_only(client, city, people, reported):
    result, photo = reported
    assert client.get(f"/cases/follow/{result.token}/photo/{photo.pk}/").status_code == 200
    other = services.intake(channel="resident_app", description="另一件事", unit=city.unit3)
    assert client.get(f"/cases/follow/{other.token}/photo/{photo.pk}/").status_code == 404
    assert client.get(f"/cases/follow/not-a-token/photo/{photo.pk}/").status_code == 404


def test_an_api_client_fetches_the_photo_with_its_token(client, people, reported):
    _, photo = reported
    token = Token.objects.create(user=people.dispatcher)
    response = client.get(f"/cases/photo/{photo.pk}/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


def test_uploaded_files_are_not_public_under_media(client, reported):
    _, photo = reported
    assert client.get("/media/" + photo.file.name).status_code == 404
