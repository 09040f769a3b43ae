"""API token authentication (``Authorization: Token <key>``) against hashed, revocable keys."""

import hashlib
import secrets

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from regions.models import ApiClient


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh 40-character key (240 bits of entropy); only its hash is stored."""
    return secrets.token_hex(20)


class ApiTokenAuthentication(TokenAuthentication):
    """DRF's token scheme, looking the key up by its SHA-256 hash; revoked clients are refused."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        client = ApiClient.objects.select_related("user", "user__membership").filter(key_hash=hash_key(key)).first()
        if client is None or client.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        if not client.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (client.user, client)
