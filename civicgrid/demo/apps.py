from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "civicgrid.demo"
    label = "demo"
