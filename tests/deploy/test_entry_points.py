"""The server's Python entry points, gunicorn's deploy.wsgi and the worker's, need APP_ENV.

Without it the app would start with development's settings (cookies without
Secure, no proxy headers trusted, any SECRET_KEY): on a server that is failing
open, so they refuse to start and say what to set. `make run` and the tests do
not go through them and keep development's defaults. deploy/inkpot-flask, the
third entry point, has its check in tests/deploy/test_inkpot_flask.py.
"""

import os
import subprocess
import sys

import pytest

from deploy import render
from shared_web.config import MIN_SECRET_KEY_LENGTH
from tests.support.apps import IDLE_BROKER_URL

# module: the Flask app it builds.
ENTRY_POINTS = {"deploy.wsgi": "app", "deploy.worker": "flask_app"}


def start(module: str, tmp_path, **settings) -> subprocess.CompletedProcess:
    """Import an entry point in a fresh Python, as gunicorn or Celery would; print its APP_ENV."""
    environment = {
        "PATH": os.environ["PATH"],
        "TMPDIR": str(tmp_path),  # the worker's metrics folder
        # Everything else production asks for, so that APP_ENV is what decides.
        "LAYOUT": "functional",
        "SECRET_KEY": "k" * MIN_SECRET_KEY_LENGTH,
        "PUBLIC_URL": "https://inkpot.example.com",
        "CELERY_BROKER_URL": IDLE_BROKER_URL,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'inkpot.sqlite3'}",
        **settings,
    }
    script = f"import {module}; print({module}.{ENTRY_POINTS[module]}.config['APP_ENV'])"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=render.REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("module", ENTRY_POINTS)
@pytest.mark.parametrize("missing", [{}, {"APP_ENV": ""}, {"APP_ENV": " "}])
def test_an_entry_point_refuses_to_start_without_app_env(module, missing, tmp_path):
    started = start(module, tmp_path, **missing)

    assert started.returncode != 0, started.stdout
    assert "development" not in started.stdout
    assert "APP_ENV is not set" in started.stderr
    assert "APP_ENV=production" in started.stderr  # what to set, and where
    assert "/etc/inkpot/inkpot.env" in started.stderr


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_an_entry_point_starts_with_the_settings_app_env_names(module, tmp_path):
    started = start(module, tmp_path, APP_ENV="production")

    assert started.returncode == 0, started.stderr
    assert started.stdout.split()[-1] == "production"
