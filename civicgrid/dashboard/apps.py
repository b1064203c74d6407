from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "civicgrid.dashboard"
    label = "dashboard"
