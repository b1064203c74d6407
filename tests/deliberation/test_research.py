"""Research: a photo checked and stripped as for cases, shown to the council only; a questionnaire
counted per option, one answer per household, never who answered what on the public page."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicgrid.deliberation import services
from civicgrid.deliberation.services import StepRefused


def jpeg_with_gps() -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 12.0, 18.0), 3: "E", 4: (120.0, 6.0, 18.0)}
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(buf, "JPEG", exif=exif)
    return SimpleUploadedFile("visit.jpg", buf.getvalue(), content_type="image/jpeg")


def test_a_research_photo_is_stripped_and_only_the_council_sees_it(
    walk, people, client, settings, tmp_path, frozen
):
    settings.MEDIA_ROOT = tmp_path
    topic = walk("research")
    note = services.add_note(topic, people.grid_worker, kind="photo", text="楼道飞线", photo=jpeg_with_gps())
    assert b"Exif" not in note.photo.read()
    with pytest.raises(ValidationError):
        services.add_note(topic, people.grid_worker, kind="photo", text="x",
                          photo=SimpleUploadedFile("a.jpg", b"not an image"))  # fmt: skip
    url = reverse("deliberation:note_photo", args=[note.pk])
    client.force_login(people.community_staff)
    assert client.get(url).status_code == 200
    client.force_login(people.resident_user)
    assert client.get(url).status_code == 404


def test_a_questionnaire_counts_answers_once_per_household(walk, city, people, residents, client, frozen):
    topic = walk("research")
    survey = services.create_survey(
        topic, people.community_staff, questions=[{"text": "充电棚建在东门？", "options": ["赞成", "反对"]}]
    )
    households = [u.resident.household for u in residents[:3]]
    services.answer_survey(survey, residents[0], household=households[0], choices=[0])
    services.answer_survey(survey, residents[1], household=households[1], choices=[1])
    services.answer_survey(survey, people.grid_worker, household=households[2], choices=[0])  # at the door
    with pytest.raises(ValidationError):
        services.answer_survey(survey, residents[0], household=households[0], choices=[1])
    with pytest.raises(PermissionDenied):
        services.answer_survey(survey, residents[0], household=households[1], choices=[1])
    with pytest.raises(ValidationError):
        services.answer_survey(survey, residents[3], household=residents[3].resident.household, choices=[7])
    assert services.counts(survey)[0]["options"] == [("赞成", 2), ("反对", 1)]
    page = client.get(reverse("deliberation:topic_public", args=[topic.pk])).content.decode()
    assert "赞成: <b>2</b>" in page and "居民0" not in page
    services.add_note(topic, people.grid_worker, kind="visit", text="走访")
    services.advance(topic, people.community_staff)
    with pytest.raises(StepRefused):
        services.answer_survey(survey, residents[4], household=residents[4].resident.household, choices=[0])
