"""Demo step "two_factor": every demo staff account that needs two-factor login
(civicgrid.accounts.policy) gets an authenticator with one shared, published demo key, so that the
demo stays usable: add the key printed by `civicgrid demo` to an authenticator app once (it serves
every demo account), or print the current code with `civicgrid demo_code`.

The key is public, so it protects nothing: it exists only on accounts in the demo's .invalid e-mail
domain, and `--rebuild` deletes it with them.
"""

from __future__ import annotations

import base64

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.accounts.policy import TWO_FACTOR_ROLES
from civicgrid.demo.accounts import DEMO_EMAIL_DOMAIN
from civicgrid.demo.registry import DemoContext, register_step

DEMO_TOTP_KEY = b"civicgrid-demo-only!"  # 20 bytes, as RFC 4226 recommends; public on purpose
DEMO_DEVICE_NAME = "demo authenticator"


def demo_secret() -> str:
    return base64.b32encode(DEMO_TOTP_KEY).decode("ascii").rstrip("=")


def _demo_users():
    return get_user_model().objects.filter(email__endswith="@" + DEMO_EMAIL_DOMAIN)


def generate(ctx: DemoContext) -> None:
    with ctx.progress.phase(_("two-factor authenticators")) as phase:
        have = set(TOTPDevice.objects.filter(user__in=_demo_users()).values_list("user_id", flat=True))
        needing = _demo_users().filter(
            Q(is_staff=True) | Q(is_superuser=True) | Q(roles__role__in=TWO_FACTOR_ROLES)
        )
        ids = set(needing.values_list("pk", flat=True)) - have
        devices = [
            TOTPDevice(user_id=pk, name=DEMO_DEVICE_NAME, key=DEMO_TOTP_KEY.hex(), confirmed=True)
            for pk in sorted(ids)
        ]
        TOTPDevice.objects.bulk_create(devices, batch_size=2000)
        phase.add("authenticators", len(devices))


def cleanup(ctx: DemoContext) -> None:
    TOTPDevice.objects.filter(user__in=_demo_users(), name=DEMO_DEVICE_NAME).delete()


register_step("two_factor", generate, cleanup, order=5)
