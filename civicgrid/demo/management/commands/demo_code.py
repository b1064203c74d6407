"""`civicgrid demo_code`: the current two-factor code of the demo accounts (their shared demo key)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from civicgrid.demo.steps.two_factor import DEMO_DEVICE_NAME, DEMO_TOTP_KEY, demo_secret


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo staff accounts (demo data only)."

    def handle(self, *args, **options):
        if not TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME).exists():
            raise CommandError(_("This database has no demo authenticators: run `civicgrid demo` first."))
        now = time.time()
        code = f"{hotp(DEMO_TOTP_KEY, int(now) // 30, digits=6):06d}"
        self.stdout.write(code)
        self.stderr.write(
            _("(valid for %(seconds)d more seconds; demo key %(key)s)")
            % {"seconds": 30 - int(now) % 30, "key": demo_secret()}
        )
