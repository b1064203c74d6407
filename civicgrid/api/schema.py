"""OpenAPI generation: every operation documents the error bodies it can answer with."""

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. not_found, conflict.")
    errors = serializers.DictField(
        required=False, help_text="For invalid input: the messages of each offending field."
    )
    retry_after = serializers.IntegerField(required=False, help_text="For 429: seconds to wait.")

    class Meta:
        ref_name = "Error"


ERROR_CODES = {
    "400": "Invalid input or filters.",
    "401": "No or an unknown token / session.",
    "403": "Outside the caller's scope or role.",
    "404": "No such object (or page).",
    "429": "Rate limit reached; see retry_after.",
}


class ApiSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        # drf-spectacular builds the success responses; the error ones are the same everywhere.
        responses = super()._get_response_bodies(direction)
        codes = dict(ERROR_CODES)
        if getattr(self.view, "conflict_possible", False):
            codes["409"] = (
                "The case changed since the given expected_version, or its state forbids the action."
            )
        for code, description in codes.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses
