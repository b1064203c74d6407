"""A production server (DEBUG off) refuses to start on the demo SECRET_KEY, with a clear message."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from civicgrid.core.startup import refuse_demo_secret_key


def test_the_demo_key_without_debug_is_refused(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    with pytest.raises(ImproperlyConfigured, match="CIVICGRID_SECRET_KEY"):
        refuse_demo_secret_key()


def test_a_real_key_or_a_debug_server_may_start(settings):
    settings.DEBUG = False
    settings.SECRET_KEY = "x" * 50
    refuse_demo_secret_key()
    settings.DEBUG = True
    settings.SECRET_KEY = settings.DEMO_SECRET_KEY
    refuse_demo_secret_key()


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("CIVICGRID_SECRET_KEY", "CIVICGRID_DEBUG")}
    return {**env, **extra}


def test_civicgrid_serve_stops_at_once_with_the_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "civicgrid.cli", "serve", "--no-worker"],
        env=_env(CIVICGRID_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "refuses to start" in result.stderr and "CIVICGRID_SECRET_KEY" in result.stderr


def test_the_wsgi_application_refuses_the_demo_key(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import civicgrid.wsgi"],
        env=_env(CIVICGRID_VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "refuses to start" in result.stderr
