"""Navigation items that apps add to the top bar (registered from each AppConfig.ready)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str  # a lazy translation
    url_name: str
    visible: Callable[[Any], bool] | None = None  # None shows it to every logged-in user
    order: int = 50
    badge: Callable[[Any], int] | None = None  # a count shown next to the label (0 hides it)


_items: list[NavItem] = []


def register(label, url_name: str, visible=None, order: int = 50, badge=None) -> None:
    if not any(i.url_name == url_name for i in _items):
        _items.append(NavItem(label, url_name, visible, order, badge))
        _items.sort(key=lambda i: i.order)


def items_for(user) -> list[dict]:
    if not user.is_authenticated:
        return []
    return [
        {"label": i.label, "url": reverse(i.url_name), "badge": i.badge(user) if i.badge else 0}
        for i in _items
        if i.visible is None or i.visible(user)
    ]
