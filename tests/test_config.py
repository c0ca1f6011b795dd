"""Configuration: choosing APP_ENV, the database, request limits, development's secret key.

What production refuses to start with is tested with the rest of the security
suite, in tests/security/test_production_config.py.
"""

import stat

import pytest
from flask import Flask

from deploy import layout_module
from shared_web.config import MIN_SECRET_KEY_LENGTH, ConfigError, load_config
from tests.support.apps import IDLE_BROKER_URL

GOOD_KEY = "k" * MIN_SECRET_KEY_LENGTH


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """Each test starts from an environment that sets none of Inkpot's variables."""
    for name in ("SECRET_KEY", "APP_ENV", "DATABASE_URL", "FLASK_DEBUG", "RATELIMIT_ENABLED"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def create_app(layout, tmp_path):
    """The layout's own create_app, on a throwaway database, with APP_ENV left to the test."""
    module = layout_module(layout)

    def create(**config):
        return module.create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}", **config}
        )

    return create


# --- choosing the environment -----------------------------------------------------------


def test_production_reads_app_env_from_the_environment(create_app, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")

    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("name", ["staging", "prod", "Production", " production", "test"])
def test_an_unknown_app_env_is_refused(create_app, monkeypatch, name):
    monkeypatch.setenv("APP_ENV", name)

    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app()


def test_an_unknown_app_env_is_refused_when_passed_directly(create_app):
    with pytest.raises(ConfigError, match="APP_ENV"):
        create_app(APP_ENV="staging")


def test_database_url_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://inkpot@db.example/inkpot")
    app = Flask("probe", instance_path=str(tmp_path))

    load_config(app, {"APP_ENV": "testing"})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://inkpot@db.example/inkpot"


def test_the_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    app = Flask("probe", instance_path=str(tmp_path))

    load_config(app, {"APP_ENV": "testing"})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inkpot.sqlite3'}"


def test_request_bodies_are_limited_to_one_mib(tmp_path):
    app = Flask("probe", instance_path=str(tmp_path))

    load_config(app, {"APP_ENV": "testing"})

    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


# --- development and its secret key file ------------------------------------------------


def development_app(instance_path):
    app = Flask("probe", instance_path=str(instance_path))
    load_config(app, {"APP_ENV": "development"})
    return app


def test_development_creates_a_secret_key_in_the_instance_folder(tmp_path):
    instance = tmp_path / "instance"

    app = development_app(instance)

    key_file = instance / "secret_key"
    assert key_file.exists()
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(app.config["SECRET_KEY"]) >= MIN_SECRET_KEY_LENGTH
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_development_reuses_its_secret_key_so_sessions_survive_a_restart(tmp_path):
    first = development_app(tmp_path).config["SECRET_KEY"]

    second = development_app(tmp_path).config["SECRET_KEY"]

    assert first == second


def test_each_development_instance_gets_its_own_secret_key(tmp_path):
    one = development_app(tmp_path / "one").config["SECRET_KEY"]
    other = development_app(tmp_path / "other").config["SECRET_KEY"]

    assert one != other


def test_a_secret_key_from_the_environment_wins_and_no_file_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    app = development_app(tmp_path)

    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert not (tmp_path / "secret_key").exists()


def test_production_never_writes_a_secret_key_file(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    instance = tmp_path / "instance"
    app = Flask("probe", instance_path=str(instance))

    load_config(
        app,
        {
            "APP_ENV": "production",
            "PUBLIC_URL": "https://inkpot.example.com",
            "CELERY_BROKER_URL": IDLE_BROKER_URL,
        },
    )

    assert not instance.exists()


def test_development_is_the_default_environment(tmp_path):
    app = Flask("probe", instance_path=str(tmp_path))

    load_config(app)

    assert app.config["APP_ENV"] == "development"
    assert (tmp_path / "secret_key").exists()
