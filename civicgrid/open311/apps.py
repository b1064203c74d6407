from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "civicgrid.open311"
    label = "open311"

    def ready(self) -> None:
        # Register the per-process caches (core.caches) at start-up, not on the first request.
        from . import http, presenters  # noqa: F401
