"""A token for a username and password, for scripts and integrations (curl examples in docs/api.md).

Tokens can also be created in the admin (Auth Token → Tokens) for service accounts.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken

from . import errors
from .schema import ApiSchema
from .throttles import LoginThrottle


@extend_schema(
    tags=["auth"],
    request=AuthTokenSerializer,
    responses=inline_serializer("Token", {"token": serializers.CharField()}),
)
class TokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token (send it as `Authorization: Token …`)."""

    throttle_classes = [LoginThrottle]
    schema = ApiSchema()

    def get_exception_handler(self):
        return errors.handle
