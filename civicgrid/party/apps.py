from django.apps import AppConfig


class PartyConfig(AppConfig):
    name = "civicgrid.party"
    label = "party"
