"""The demo's steps, one module each: the base city first, then what each capability adds to it.

Every module in this package is imported by `registry.steps()`; each calls `register_step(...)`
once. A new capability adds `civicgrid/demo/steps/<app>.py`; the demo depends on the apps (it sits
on top of them), never the other way round.
"""

import importlib
import pkgutil


def load_all() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
