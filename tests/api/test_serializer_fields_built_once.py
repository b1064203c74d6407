"""The intake serializers work out their fields once per class (cases_serializers.BuiltOnceMixin) and
give every instance fields of its own: what they accept, refuse and answer is what DRF's own
deep-copied fields accept, refuse and answer."""

import copy

import pytest
from rest_framework import serializers

from civicgrid.api import cases_serializers as s

GOOD = {"channel": "resident_app", "description": "楼下路灯不亮", "lng": 120.105, "lat": 30.205}
BAD = {
    "channel": "no-such-channel",
    "description": "",
    "lng": 500,
    "photos": "x",
    "contact_email": "not-mail",
}


def _drf_fields(serializer):
    """The fields as DRF itself would make them (a deep copy of the declared or built ones)."""
    return copy.deepcopy(type(serializer)._built_fields)


def test_two_instances_never_share_a_field_and_a_field_with_children_is_copied_whole():
    first, second = s.IntakeSerializer(data=GOOD), s.IntakeSerializer(data=GOOD)
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["photos"].child is not second.fields["photos"].child
    assert first.fields["photos"].child.parent is first.fields["photos"]


@pytest.mark.parametrize("data", [GOOD, BAD, {**GOOD, "lat": None}, {**GOOD, "kind": "emergency"}])
def test_intake_validation_is_drfs_own(city, data, monkeypatch):
    ours = s.IntakeSerializer(data=data)
    ours_valid = ours.is_valid()
    monkeypatch.setattr(s.IntakeSerializer, "get_fields", _drf_fields)
    theirs = s.IntakeSerializer(data=data)
    assert theirs.is_valid() == ours_valid
    assert theirs.errors == ours.errors
    if ours_valid:
        assert theirs.validated_data == ours.validated_data


def test_the_intake_answer_is_drfs_own(city, people):
    from civicgrid.cases import services

    result = services.intake(channel="resident_app", description="楼道灯坏了", area=city.grid)
    context = {"created": True, "follow_token": result.token}
    ours = s.IntakeResultSerializer(result.case, context=context).data
    original = s.IntakeResultSerializer.get_fields
    try:
        s.IntakeResultSerializer.get_fields = _drf_fields
        theirs = s.IntakeResultSerializer(result.case, context=context).data
    finally:
        s.IntakeResultSerializer.get_fields = original
    for answer in (ours, theirs):  # the share of time left moves on between the two
        assert 0.99 < answer["time_left"].pop("share_left") <= 1
    assert ours == theirs
    assert isinstance(s.IntakeResultSerializer().fields["created"], serializers.SerializerMethodField)
