"""Migrations give the same result whenever they run: they carry their data and never import
application code that may change later (a seed module, services). Only a model module may be
named, for the callables Django itself writes into a migration (upload_to, defaults)."""

import ast
from pathlib import Path

import pytest

import civicgrid

MIGRATIONS = sorted(Path(civicgrid.__file__).parent.glob("*/migrations/0*.py"))


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_a_migration_imports_no_application_code_but_models(path):
    own = {m for m in imported_modules(path) if m.startswith("civicgrid")}
    assert all(m.endswith(".models") for m in own), own


def test_the_frozen_category_catalogue_still_matches_the_seed_module(db):
    from civicgrid.cases.models import Category
    from civicgrid.cases.seed import CATEGORIES, QUESTIONS

    codes = {code for code, *_ in CATEGORIES} | {sub[0] for *_, subs in CATEGORIES for sub in subs}
    assert set(Category.objects.values_list("code", flat=True)) == codes
    for code, questions in QUESTIONS.items():
        assert Category.objects.get(code=code).questions == questions
