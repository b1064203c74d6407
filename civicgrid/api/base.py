"""What every /api/v1/ view shares: token or session auth, throttles, the error handler."""

from rest_framework import generics
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from civicgrid.core.access import ApiPolicyMixin

from . import errors
from .auth import CachedTokenAuthentication
from .schema import ApiSchema
from .throttles import DEFAULT_THROTTLES


class ApiMixin(ApiPolicyMixin):
    authentication_classes = [CachedTokenAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = DEFAULT_THROTTLES
    schema = ApiSchema()

    def get_exception_handler(self):
        return errors.handle


class ApiView(ApiMixin, APIView):
    """A view of the API (token or session auth, throttled, errors with a body)."""


class ApiListView(ApiMixin, generics.ListAPIView):
    """A paginated list of the API."""
