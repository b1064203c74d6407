from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self):
        # Outbox handlers (notifications, rollups) and the worker's periodic jobs (sweeps).
        from civicgrid.areas.signals import area_paths_moved

        from . import notify, partitions, sweeps, web_registration  # noqa: F401
        from .area_paths import follow_area_paths
        from .staff_registration import register as register_staff_pages

        area_paths_moved.connect(follow_area_paths, dispatch_uid="cases-follow-area-paths")
        register_caches()
        register_staff_pages()
        from .views.staff_place import register_panels

        register_panels()  # address match and possible duplicates on the staff case page
        web_registration.register()  # residents' pages, the problem wall, intake pages


def _categories_written(sender=None, **kwargs) -> None:
    from civicgrid.core import caches

    caches.invalidate(caches.CATEGORIES, sender=sender)


def register_caches() -> None:
    """The category catalogue fires `caches.CATEGORIES`; the intake's catalogue cache (categories,
    keywords, dispatch rules, grids) is registered for it and for the area tree."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from civicgrid.core import caches

    from . import services
    from .models import Category, DispatchRule

    for model in (Category, DispatchRule):
        post_save.connect(
            _categories_written, sender=model, dispatch_uid=f"cases-categories-save-{model.__name__}"
        )
        post_delete.connect(
            _categories_written, sender=model, dispatch_uid=f"cases-categories-del-{model.__name__}"
        )
    m2m_changed.connect(
        _categories_written, sender=DispatchRule.assisting.through, dispatch_uid="cases-categories-m2m"
    )
    caches.register("cases.catalogue", services._forget, topics=[caches.AREAS, caches.CATEGORIES])
