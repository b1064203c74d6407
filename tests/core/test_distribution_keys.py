"""Every table has its place on Citus (civicgrid/core/distribution.py, docs/operations.md): distributed by
jurisdiction, a child taking its parent's jurisdiction, a reference table or a local one; and its keys
and foreign keys are what Citus accepts, or the exception is listed with its decision."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from civicgrid.core import distribution as dist

MODELS = [
    m
    for m in apps.get_models(include_auto_created=True)
    if m._meta.managed and not m._meta.proxy and not m._meta.swapped
]
BY_LABEL = {m._meta.label: m for m in MODELS}
COLUMN = dist.DISTRIBUTION_COLUMN


def has_column(model) -> bool:
    return any(f.name == COLUMN for f in model._meta.concrete_fields)


def kind(model) -> str:
    return dist.kind_of(model._meta.label, has_column(model))


SHARDED = {"distributed", "child"}


def unique_sets(model) -> list[tuple[str, ...]]:
    meta = model._meta
    found = [(f.name,) for f in meta.concrete_fields if f.unique and not f.primary_key]
    found += [tuple(u) for u in meta.unique_together]
    found += [
        tuple(c.fields) for c in meta.constraints if isinstance(c, models.UniqueConstraint) and c.fields
    ]
    return found


def foreign_keys(model):
    return [f for f in model._meta.concrete_fields if f.is_relation and f.related_model is not None]


def test_there_are_models_to_check():
    assert len(MODELS) > 100
    assert kind(BY_LABEL["cases.Case"]) == "distributed"


def test_every_table_is_distributed_or_declared():
    unclassified = sorted(label for label, m in BY_LABEL.items() if kind(m) == "unclassified")
    assert not unclassified, (
        "tables without a jurisdiction column that distribution.py does not declare a reference, local "
        "or child table:\n" + "\n".join(unclassified)
    )


def test_the_declarations_name_real_tables_once_each():
    lists = [dist.REFERENCE_TABLES, dist.LOCAL_TABLES, dist.CHILD_TABLES]
    named = [label for listed in lists for label in listed]
    assert sorted(set(named)) == sorted(named), "a table declared twice"
    assert not [label for label in named if label not in BY_LABEL], "declared tables that do not exist"
    assert all(
        reason.strip() for listed in (dist.REFERENCE_TABLES, dist.LOCAL_TABLES) for reason in listed.values()
    )


def test_a_child_table_takes_its_jurisdiction_from_a_distributed_parent():
    wrong = []
    for label, fk_name in dist.CHILD_TABLES.items():
        model = BY_LABEL[label]
        if has_column(model):
            wrong.append(f"{label} has a jurisdiction column: it is distributed, not a child")
            continue
        seen = set()
        while kind(model) == "child" and model._meta.label not in seen:
            seen.add(model._meta.label)
            field = model._meta.get_field(dist.CHILD_TABLES[model._meta.label])
            if not field.is_relation or field.many_to_many:
                wrong.append(f"{label}.{fk_name} is not a foreign key")
                break
            model = field.related_model
        if kind(model) != "distributed":
            wrong.append(f"{label}: its parent chain ends at {model._meta.label} ({kind(model)})")
    assert not wrong, "\n".join(wrong)


def test_every_sharded_table_has_a_key_that_can_become_jurisdiction_and_id():
    wrong = [
        f"{label}: primary key {m._meta.pk.name} ({m._meta.pk.get_internal_type()})"
        for label, m in BY_LABEL.items()
        if kind(m) in SHARDED
        and m._meta.pk.get_internal_type() not in ("AutoField", "BigAutoField")
        and m._meta.pk.name != COLUMN
    ]
    assert not wrong, (
        "sharded tables whose primary key is not an id that becomes (jurisdiction, id):\n" + "\n".join(wrong)
    )


def _needs_listing(model, fields: tuple[str, ...]) -> bool:
    """A unique set that neither includes jurisdiction nor holds an FK to a sharded parent."""
    if COLUMN in fields:
        return False
    for name in fields:
        field = model._meta.get_field(name)
        if field.is_relation and field.related_model is not None:
            if kind(field.related_model) in SHARDED or has_column(field.related_model):
                # Widened to (jurisdiction, …) with the same meaning: the row's jurisdiction is its
                # parent's (or, for an area, that area's district), as the services set it.
                return False
    return True


def test_every_unique_constraint_of_a_sharded_table_includes_jurisdiction_or_is_decided():
    undecided, needed = [], set()
    for label, model in BY_LABEL.items():
        if kind(model) not in SHARDED:
            continue
        for fields in unique_sets(model):
            if _needs_listing(model, fields):
                needed.add((label, fields))
                if (label, fields) not in dist.GLOBAL_UNIQUES:
                    undecided.append(f"{label} {fields}")
    assert not undecided, "unique constraints without jurisdiction and without a decision:\n" + "\n".join(
        sorted(undecided)
    )
    stale = sorted(str(key) for key in dist.GLOBAL_UNIQUES if key not in needed)
    assert not stale, "GLOBAL_UNIQUES entries that no constraint needs (drop them):\n" + "\n".join(stale)


def test_foreign_keys_go_where_citus_allows():
    """Reference tables point only at reference tables; local tables at reference or local ones;
    sharded tables never at a local table."""
    wrong = []
    for label, model in BY_LABEL.items():
        mine = kind(model)
        for field in foreign_keys(model):
            theirs = kind(field.related_model)
            allowed = {
                "reference": {"reference"},
                "local": {"reference", "local"},
                "distributed": {"reference", "distributed", "child"},
                "child": {"reference", "distributed", "child"},
            }[mine]
            if theirs not in allowed:
                wrong.append(f"{label}.{field.name} ({mine}) -> {field.related_model._meta.label} ({theirs})")
    assert not wrong, "foreign keys Citus would refuse:\n" + "\n".join(sorted(wrong))


@pytest.mark.parametrize("path", sorted(dist.CROSS_SHARD_FOREIGN_KEYS))
def test_each_listed_cross_shard_foreign_key_exists_between_sharded_tables(path):
    label, name = path.rsplit(".", 1)
    field = BY_LABEL[label]._meta.get_field(name)
    assert field.is_relation and kind(BY_LABEL[label]) in SHARDED and kind(field.related_model) in SHARDED
