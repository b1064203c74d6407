import base64
import time

import pytest
from django_otp.oath import hotp


def code_for(device, step_offset: int = 0) -> str:
    """The authenticator's code for the current time step (or a neighbouring one)."""
    step = int(time.time()) // device.step + step_offset
    return f"{hotp(device.bin_key, step, digits=device.digits):06d}"


def code_from_secret(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{hotp(key, int(time.time()) // 30, digits=6):06d}"


@pytest.fixture
def password_login(client):
    """Log in through the real login form (password only), as a person would."""

    def login(username: str, password: str | None = None, **extra):
        return client.post(
            "/login/", {"username": username, "password": password or f"pw-{username}"}, **extra
        )

    return login
