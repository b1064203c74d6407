"""`civicgrid serve` starts gunicorn with no access log unless asked (CIVICGRID_ACCESS_LOG), and on
PostgreSQL with four threads per worker unless CIVICGRID_WEB_THREADS says otherwise (decision 0070)."""

from civicgrid.core.management.commands.serve import gunicorn_command


def _option(cmd: list[str], name: str) -> str | None:
    return cmd[cmd.index(name) + 1] if name in cmd else None


def test_no_access_log_is_configured_unless_asked(monkeypatch):
    monkeypatch.delenv("CIVICGRID_ACCESS_LOG", raising=False)
    assert _option(gunicorn_command("127.0.0.1:8000", 3), "--access-logfile") is None
    monkeypatch.setenv("CIVICGRID_ACCESS_LOG", "1")
    assert _option(gunicorn_command("127.0.0.1:8000", 3), "--access-logfile") == "-"


def test_threads_per_worker_on_postgresql_and_sqlite(monkeypatch, settings):
    monkeypatch.delenv("CIVICGRID_WEB_THREADS", raising=False)
    settings.DATABASES = {
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"}
    }
    assert _option(gunicorn_command("127.0.0.1:8000", 4), "--threads") == "4"
    assert _option(gunicorn_command("127.0.0.1:8000", 4), "--workers") == "4"
    monkeypatch.setenv("CIVICGRID_WEB_THREADS", "1")
    assert _option(gunicorn_command("127.0.0.1:8000", 4), "--threads") == "1"
    settings.DATABASES = {
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"}
    }
    assert _option(gunicorn_command("127.0.0.1:8000", 4), "--threads") == "1"
