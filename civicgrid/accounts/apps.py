from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "civicgrid.accounts"
    label = "civicgrid_accounts"
    verbose_name = _("Sign-in security")

    def ready(self):
        from civicgrid.core import nav

        from . import policy

        nav.register(
            _("Two-factor login"), "accounts:two_factor", visible=policy.two_factor_required, order=95
        )
