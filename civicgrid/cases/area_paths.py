"""Cases keep the path of the deepest place they lie in: when an area moves or gets a new code,
the area services send `area_paths_moved` and this receiver rewrites the cases' own paths."""

from __future__ import annotations

from typing import Any

from django.db.models import Value
from django.db.models.functions import Concat, Substr

from .models import Case


def follow_area_paths(sender: Any = None, *, old_prefix: str, new_prefix: str, **kwargs: Any) -> None:
    Case.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1))
    )
