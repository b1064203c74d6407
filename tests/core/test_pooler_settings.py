"""Behind pgbouncer in transaction mode (CIVICGRID_DB_POOLER=pgbouncer): no server-side cursors, no
prepared statements, and the one job that needs a session of its own refuses to run through it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicgrid.cases import rollups
from civicgrid.core.pooling import require_session

SHOW = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({a: {'cursors': d.get('DISABLE_SERVER_SIDE_CURSORS', False), "
    "'options': d.get('OPTIONS', {}), 'test': d.get('TEST', {})} for a, d in settings.DATABASES.items()} "
    "| {'routers': settings.DATABASE_ROUTERS}))"
)


def settings_with(**env) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CIVICGRID_")}
    environment.update(env, DJANGO_SETTINGS_MODULE="civicgrid.settings")
    done = subprocess.run([sys.executable, "-c", SHOW], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_behind_pgbouncer_there_are_no_server_side_cursors_nor_prepared_statements():
    shown = settings_with(
        CIVICGRID_DATABASE_URL="postgres://civicgrid@127.0.0.1:6432/civicgrid",
        CIVICGRID_DB_POOLER="pgbouncer",
        CIVICGRID_REPLICA_URL="postgres://civicgrid@127.0.0.1:6433/civicgrid",
    )
    for alias in ("default", "replica"):
        assert shown[alias]["cursors"] is True
        assert shown[alias]["options"]["prepare_threshold"] is None
    assert shown["replica"]["options"]["connect_timeout"] == 2
    assert shown["replica"]["test"]["MIRROR"] == "default"
    assert shown["routers"] == ["civicgrid.core.dbrouter.ReplicaRouter"]


def test_without_a_pooler_or_replica_settings_are_unchanged():
    shown = settings_with(CIVICGRID_DATABASE_URL="postgres://civicgrid@127.0.0.1:5432/civicgrid")
    assert shown["default"]["cursors"] is False
    assert "prepare_threshold" not in shown["default"]["options"]
    assert "replica" not in shown and shown["routers"] == []


def test_an_unknown_pooler_is_refused():
    environment = {
        **os.environ,
        "CIVICGRID_DB_POOLER": "pgpool",
        "DJANGO_SETTINGS_MODULE": "civicgrid.settings",
    }
    done = subprocess.run([sys.executable, "-c", SHOW], env=environment, capture_output=True, text=True)
    assert done.returncode != 0 and "unknown pooler 'pgpool'" in done.stderr


def test_the_rollup_rebuild_refuses_to_run_through_the_pooler(settings):
    settings.CIVICGRID_DB_POOLER = "pgbouncer"
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL itself"):
        require_session("the rollup rebuild")
    with pytest.raises(ImproperlyConfigured, match="rollup rebuild"):
        rollups.rebuild()
