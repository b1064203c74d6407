"""civicgrid's database runs without JIT compilation (core migration 0005, decision 0090): the
planner's cost estimates of a path prefix over many case ranges passed `jit_above_cost`, and a
grid's figures for a year spent 50–60 ms compiling queries that ran in half a millisecond."""

import pytest
from django.db import connection

from civicgrid.cases import rollups
from civicgrid.cases.models import ROLLUP_COUNTERS, CategoryRollup


@pytest.mark.django_db
def test_the_database_is_set_to_run_without_jit():
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase "
            "WHERE d.datname = current_database() AND s.setrole = 0"
        )
        (config,) = cursor.fetchone()
    assert "jit=off" in config


def test_the_rollup_counters_are_the_rollup_tables_counter_columns():
    counters = [
        f.name
        for f in CategoryRollup._meta.concrete_fields
        if f.get_internal_type() in ("IntegerField", "BigIntegerField") and f.name not in ("id",)
    ]
    assert list(rollups.COUNTERS) == ROLLUP_COUNTERS == counters
