"""Token authentication that remembers a token's user for a few seconds per process.

DRF's TokenAuthentication reads the token and its user from the database on every request; under
load that is a query per call. Here a process keeps (token → user) for TOKEN_CACHE_SECONDS: a deleted
token, or a user made inactive, stops working in every process within that time (at once in the
process that deleted it). Roles are not cached: people.policy reads them for each request.
"""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

TOKEN_CACHE_SECONDS = 10


def _key(token: str) -> str:
    return f"civicgrid:api:token:{token}"


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        found = cache.get(_key(key))
        if found is None:
            found = super().authenticate_credentials(key)  # raises for an unknown key or inactive user
            cache.set(_key(key), found, TOKEN_CACHE_SECONDS)
        return found


def _forget(sender, instance: Token, **kwargs) -> None:
    cache.delete(_key(instance.key))


post_delete.connect(_forget, sender=Token, dispatch_uid="api-token-deleted")
post_save.connect(_forget, sender=Token, dispatch_uid="api-token-saved")
