"""PostgreSQL pool sizes come from the environment, so they can be sized for gevent's workers."""

import pytest

from shared_web.config import ConfigError, database_pool_options

POSTGRESQL = "postgresql+psycopg://inkpot@/inkpot"


def test_sqlite_keeps_sqlalchemys_own_pool(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "50")
    assert database_pool_options("sqlite:///inkpot.sqlite3") == {}


def test_postgresql_pool_defaults(monkeypatch):
    for name in ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW", "DATABASE_POOL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    assert database_pool_options(POSTGRESQL) == {
        "pool_size": 5,
        "max_overflow": 10,
        "pool_timeout": 10,
    }


def test_postgresql_pool_sizes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "20")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "3")
    assert database_pool_options(POSTGRESQL) == {
        "pool_size": 20,
        "max_overflow": 0,
        "pool_timeout": 3,
    }


def test_a_pool_size_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "lots")
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE"):
        database_pool_options(POSTGRESQL)
