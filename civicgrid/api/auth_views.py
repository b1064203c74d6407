"""A token for a username and password, for scripts and integrations (curl examples in docs/api.md).

Staff who need two-factor login (civicgrid/accounts/policy.py) send their authenticator's code as
`otp_token` too; a password alone gets them no token.

Tokens can also be created in the admin (Auth Token → Tokens) for service accounts.
"""

import django_otp
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from civicgrid.accounts.policy import two_factor_required

from . import errors
from .schema import ApiSchema
from .throttles import LoginThrottle


class TwoFactorTokenSerializer(AuthTokenSerializer):
    otp_token = serializers.CharField(
        label=_("Two-factor code"),
        required=False,
        allow_blank=True,
        help_text=_(
            "The authenticator's code (or a recovery code): needed by staff who can unmask personal data."
        ),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        user = attrs["user"]
        if two_factor_required(user):
            code = "".join((attrs.get("otp_token") or "").split()).lower()
            if not code or django_otp.match_token(user, code) is None:
                raise serializers.ValidationError(
                    {
                        "otp_token": [
                            _(
                                "This account needs its two-factor code (otp_token), and that code is not right."
                            )
                        ]
                    },
                    code="otp_required",
                )
        return attrs


@extend_schema(
    tags=["auth"],
    request=TwoFactorTokenSerializer,
    responses=inline_serializer("Token", {"token": serializers.CharField()}),
)
class TokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token (send it as `Authorization: Token …`)."""

    throttle_classes = [LoginThrottle]
    serializer_class = TwoFactorTokenSerializer
    schema = ApiSchema()

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
            # Too many wrong passwords for this account from this address (django-axes), as on the web.
            return Response(
                {
                    "detail": _(
                        "Too many failed logins: this account is locked from this address for a while."
                    ),
                    "code": "locked_out",
                },
                status=429,
            )
        if not valid:
            raise serializers.ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

    def get_exception_handler(self):
        return errors.handle
