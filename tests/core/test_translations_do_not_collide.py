"""Django merges every app's catalogue into one: a msgid that two apps translate differently shows one
app's words in the other's pages (mediation's "Agreed" read 商定日期, the two-factor "Code" read 编码).
An app whose word differs gives it a context (pgettext / {% translate "..." context "app" %})."""

from __future__ import annotations

import gettext
from collections import defaultdict
from pathlib import Path

from django.apps import apps
from django.conf import settings


def _catalogues() -> dict[str, dict]:
    folders = {
        cfg.name.rsplit(".", 1)[-1]: Path(cfg.path) / "locale"
        for cfg in apps.get_app_configs()
        if cfg.name.startswith("civicgrid")
    }
    folders.update({f"LOCALE_PATHS[{i}]": Path(p) for i, p in enumerate(settings.LOCALE_PATHS)})
    found = {}
    for name, folder in folders.items():
        mo = folder / "zh_Hans" / "LC_MESSAGES" / "django.mo"
        if mo.exists():
            with mo.open("rb") as f:
                found[name] = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
    return found


def test_the_catalogues_are_found():
    assert {"cases", "mediation", "accounts"} <= set(_catalogues())


def test_no_msgid_is_translated_two_ways():
    by_msgid: dict[object, dict[str, str]] = defaultdict(dict)
    for name, catalogue in _catalogues().items():
        for msgid, msgstr in catalogue.items():
            if msgid:
                by_msgid[msgid][name] = str(msgstr)
    clashes = {
        str(msgid).replace("\x04", " | "): where
        for msgid, where in by_msgid.items()
        if len(set(where.values())) > 1
    }
    assert not clashes, "translated differently by two apps (give one a context): " + "; ".join(
        f"{msgid!r}: {where}" for msgid, where in sorted(clashes.items())
    )
