from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartyConfig(AppConfig):
    name = "civicgrid.party"
    label = "party"
    verbose_name = _("Party organisations")

    def ready(self):
        from civicgrid.core import nav

        from . import admin_work, policy

        admin_work.register()

        nav.register(
            _("Party branches"),
            "party:plan_index",
            visible=lambda user: policy.plan_communities(user).exists(),
            order=30,
        )
        nav.register(
            _("Party work"),
            "party:work",
            visible=lambda user: (
                policy.member_of(user) is not None or policy.led_organizations(user).exists()
            ),
            order=32,
        )
