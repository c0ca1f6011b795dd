"""Production refuses to start with unsafe settings, and says how to fix them."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import LAYOUTS, layout_module
from shared_web.config import MIN_SECRET_KEY_LENGTH, ConfigError
from tests.support.apps import IDLE_BROKER_URL, make_app

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * MIN_SECRET_KEY_LENGTH
PUBLIC_URL = "https://inkpot.example.com"


@pytest.fixture
def production(layout, database_url, monkeypatch):
    """Build the layout's app for production with these settings (SECRET_KEY from the env)."""
    for name in ("SECRET_KEY", "FLASK_DEBUG", "APP_ENV", "PUBLIC_URL", "TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)

    def build(**overrides):
        settings = {
            "APP_ENV": "production",
            "PUBLIC_URL": PUBLIC_URL,
            "CELERY_BROKER_URL": IDLE_BROKER_URL,
            **overrides,
        }
        return make_app(layout, database_url, **settings)

    return build


def test_production_refuses_to_start_without_a_secret_key(production):
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        production()


def test_production_refuses_an_empty_secret_key(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "")

    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        production()


@pytest.mark.parametrize("key", ["short", "k" * (MIN_SECRET_KEY_LENGTH - 1)])
def test_production_refuses_a_short_secret_key(production, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)

    with pytest.raises(ConfigError, match="too short"):
        production()


def test_production_refuses_to_run_with_debug_on(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    with pytest.raises(ConfigError, match="DEBUG is on"):
        production(DEBUG=True)


def test_production_refuses_debug_switched_on_from_the_environment(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("FLASK_DEBUG", "1")

    with pytest.raises(ConfigError, match="DEBUG is on"):
        production()


def test_production_starts_with_a_good_secret_key_and_secure_cookies(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    app = production()

    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["SESSION_COOKIE_SECURE"]
    assert app.config["REMEMBER_COOKIE_SECURE"]
    assert not app.debug


def test_production_refuses_to_start_without_a_public_url(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    with pytest.raises(ConfigError, match="PUBLIC_URL is not set"):
        production(PUBLIC_URL=None)


def test_production_refuses_to_start_without_a_broker(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)

    with pytest.raises(ConfigError, match="CELERY_BROKER_URL is not set"):
        production(CELERY_BROKER_URL=None)


@pytest.mark.parametrize("name", ["RATELIMIT_STORAGE_URI", "CELERY_BROKER_URL", "CACHE_REDIS_URL"])
def test_production_refuses_the_env_examples_redis_password(production, monkeypatch, name):
    # deploy/inkpot.env.example's URLs name a placeholder the guide replaces: left there, it
    # would be a password everyone can read, or none the real Redis takes.
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    with pytest.raises(ConfigError, match=f"{name} still says REDIS-PASSWORD"):
        production(**{name: "redis://:REDIS-PASSWORD@127.0.0.1:6379/1"})
    assert production(**{name: "redis://:a-real-password@127.0.0.1:6379/1"}).config[name]


def test_production_refuses_to_send_an_smtp_password_in_the_clear(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    mail = {"MAIL_SERVER": "smtp.example.com", "MAIL_USERNAME": "inkpot", "MAIL_PASSWORD": "pw"}

    with pytest.raises(ConfigError, match="MAIL_USE_TLS"):
        production(**mail)
    assert production(**mail, MAIL_USE_TLS=True).config["MAIL_USE_TLS"] is True


def test_a_send_must_fit_inside_the_outboxs_hold_on_it(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    with pytest.raises(ConfigError, match="OUTBOX_RELAY_AFTER"):
        production(MAIL_TIMEOUT=60, OUTBOX_RELAY_AFTER=300)


@pytest.mark.parametrize(
    "url",
    [
        "inkpot.example.com",
        "ftp://inkpot.example.com",
        "https://",
        "https://inkpot.example.com/blog",
        "https://inkpot.example.com/?x=1",
        "https://user@inkpot.example.com",
    ],
)
def test_production_refuses_a_public_url_that_is_not_a_sites_root(production, monkeypatch, url):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)

    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        production(PUBLIC_URL=url)


def test_production_answers_only_its_public_host(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    client = production(PUBLIC_URL=PUBLIC_URL + "/").test_client()

    assert client.get("/healthz", headers={"Host": "inkpot.example.com"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_more_host_names_can_be_trusted_from_the_environment(production, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", GOOD_KEY)
    monkeypatch.setenv("TRUSTED_HOSTS", "inkpot.example.com, www.inkpot.example.com")
    client = production().test_client()

    assert client.get("/healthz", headers={"Host": "www.inkpot.example.com"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


# Every app package in one interpreter: starting Python and Flask is the slow part.
APP_PACKAGES = [layout_module(layout).__name__ for layout in LAYOUTS]
REFUSE_TO_START = """
import importlib
import sys
from shared_web.config import ConfigError
for package in sys.argv[1:]:
    try:
        importlib.import_module(package).create_app()
    except ConfigError as error:
        print(package, type(error).__name__, error)
    else:
        print(package, "started")
"""


def test_the_refusal_is_a_clear_message_not_a_silent_default(tmp_path):
    # What an operator sees: the app does not start, and the message says how to fix it.
    environment = {
        **{name: value for name, value in os.environ.items() if name != "SECRET_KEY"},
        "APP_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'inkpot.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", REFUSE_TO_START, *APP_PACKAGES],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        [package, "ConfigError"] for package in APP_PACKAGES
    ], result.stdout + result.stderr
    assert all("SECRET_KEY is not set" in line for line in lines)
    assert all("secrets.token_hex(32)" in line for line in lines)
