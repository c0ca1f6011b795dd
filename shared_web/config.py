"""Configuration for both sites: one class per environment, values read from the environment."""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

# Both layouts share one instance folder, so `make run` serves them one database.
INSTANCE_PATH = Path(__file__).resolve().parent.parent / "instance"
MIN_SECRET_KEY_LENGTH = 32
# What deploy/inkpot.env.example's Redis URLs hold until the guide puts the password there.
REDIS_PASSWORD_PLACEHOLDER = "REDIS-PASSWORD"


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says how to fix it."""


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str] | None:
    """A comma-separated variable as a list; None when it is unset or empty."""
    items = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    return items or None


def _env_whole_number(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    if not value.strip().isdigit():
        raise ConfigError(f"{name}={value!r} is not a whole number.")
    return int(value)


def public_url_host(public_url: str) -> str:
    """The host name of PUBLIC_URL, or ConfigError saying what is wrong with it."""
    parts = urlsplit(public_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"PUBLIC_URL={public_url!r} is not a site's address; "
            "give one such as https://inkpot.example.com"
        )
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            f"PUBLIC_URL={public_url!r} has more than a scheme, a host and a port; "
            "the site is served from the root of its host."
        )
    return parts.hostname


def allowed_networks(addresses: str) -> list:
    """METRICS_ALLOWED_IPS as networks (a single address is a network of one)."""
    networks = []
    for item in (part.strip() for part in addresses.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"METRICS_ALLOWED_IPS: {item!r} is not an address or a network."
            ) from None
    return networks


def database_pool_options(database_url: str) -> dict:
    """PostgreSQL pool sizes from the environment (DATABASE_POOL_SIZE, …), sized per worker.

    A gevent worker serves many requests at once, but at most pool_size +
    max_overflow of them hold a connection; the rest wait up to pool_timeout.
    deploy/README.md explains how to size them against max_connections.
    """
    if not database_url.startswith("postgresql"):
        return {}
    options = {}
    for key, name, default in [
        ("pool_size", "DATABASE_POOL_SIZE", 5),
        ("max_overflow", "DATABASE_MAX_OVERFLOW", 10),
        ("pool_timeout", "DATABASE_POOL_TIMEOUT", 10),
    ]:
        value = os.environ.get(name, str(default))
        if not value.strip().isdigit():
            raise ConfigError(f"{name}={value!r} is not a whole number.")
        options[key] = int(value)
    return options


class Config:
    APP_ENV = "development"
    MAX_CONTENT_LENGTH = 1024 * 1024
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    PASSWORD_HASH_METHOD = "scrypt"
    # A long post can take more than an hour to write; the token is tied to the
    # session, so it need not also expire on a clock.
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    # How long a signed-in browser may stay idle before its session ends on the
    # server (shared_models.sessions); with "Keep me signed in", the remember-me
    # cookie's lifetime, which is also how long such a session may stay idle.
    SESSION_IDLE_TIMEOUT = timedelta(hours=24)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    TRUST_PROXY_HEADERS = False
    # Sent with every response; nginx adds HSTS in front of HTTPS deployments.
    SECURITY_HEADERS = {
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' https: data:; style-src 'self'; "
            "script-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'"
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    # Throttling of sign-in and sign-up (Flask-Limiter reads the RATELIMIT_* keys).
    # Limits are per client address; failed sign-ins also count per account, so
    # guessing one account's password from many addresses is slowed down too.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_KEY_PREFIX = "inkpot"
    # A moving window counts the last hour (or minute) from now, whereas the default
    # fixed window starts again on the hour: twice a limit could get through across
    # the turn of the hour, and a count could restart in the middle of a burst.
    RATELIMIT_STRATEGY = "moving-window"
    # Sends Retry-After (and X-RateLimit-*) so a refused client knows when to come back.
    RATELIMIT_HEADERS_ENABLED = True
    # If the shared store (Redis) is down, count in each worker's memory rather
    # than answer every sign-in with a 500.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    LOGIN_RATE_LIMIT_PER_CLIENT = "10 per minute; 50 per hour"
    LOGIN_RATE_LIMIT_PER_ACCOUNT = "5 per minute; 20 per hour"
    SIGNUP_RATE_LIMIT_PER_CLIENT = "10 per hour"
    # The page cache (shared_web.page_cache): rendered parts of public pages. In each
    # process's memory unless CACHE_REDIS_URL names a Redis that every worker shares;
    # off (CACHE_ENABLED=false) when each page should be drawn in full every time.
    CACHE_ENABLED = True
    CACHE_REDIS_URL = None
    # The largest copy kept: a feed is about 100 KB, but ten posts of the longest
    # Markdown make one of megabytes, which is drawn every time instead.
    CACHE_ENTRY_MAX_BYTES = 512 * 1024
    # Without Redis, what each process keeps at most, the least recently used dropped first.
    CACHE_MEMORY_MAX_BYTES = 32 * 1024 * 1024
    # Copies are checked against the version of what they show, so they never go
    # stale: this only frees the memory of pages nobody asks for any more.
    CACHE_TIMEOUT = 3600
    # A slow or unreachable Redis costs a page this long at most, then is skipped for a while.
    CACHE_REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    # Readable lines for a person in development; one JSON object per line in production.
    LOG_FORMAT = "text"
    # Who may read /metrics: addresses or networks, comma-separated.
    METRICS_ALLOWED_IPS = "127.0.0.1,::1"
    # The JSON API: reads per token (per client address without one), writes per token.
    API_READ_RATE_LIMIT = "120 per minute; 3000 per hour"
    API_WRITE_RATE_LIMIT = "30 per minute; 500 per hour"
    # flask-smorest's settings for the OpenAPI document (shared_web.openapi). No
    # OPENAPI_URL_PREFIX: the api blueprint serves the document, not a blueprint of its own.
    API_TITLE = "Inkpot API"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = None
    # Per client and per account, shared by the two forms that check the current
    # password (password and email change): a stolen session must not become a
    # way to guess the password behind it.
    PASSWORD_CHANGE_RATE_LIMIT = "5 per minute; 20 per hour"
    # Every form that sends email (sign-up, confirmation link, password reset,
    # email change) shares these counts, so that together they cannot be used
    # to flood an inbox: per client address, and per address mailed.
    MAIL_RATE_LIMIT_PER_CLIENT = "20 per hour"
    MAIL_RATE_LIMIT_PER_ADDRESS = "5 per hour; 20 per day"

    # Email (shared_web.mail). With no MAIL_SERVER, each message is written as
    # an .eml file to MAIL_OUTBOX_DIR instead of being sent.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    # Default: "Inkpot <no-reply@host of PUBLIC_URL>".
    MAIL_DEFAULT_SENDER = None
    # Seconds an SMTP server may take over one step before the attempt fails.
    MAIL_TIMEOUT = 30
    # Seconds before the first retry of a message the server refused for now;
    # each retry waits twice as long, up to MAIL_RETRY_DELAY_MAX, MAIL_RETRIES times.
    MAIL_RETRY_DELAY = 30
    MAIL_RETRY_DELAY_MAX = 1800
    MAIL_RETRIES = 10
    # Whether the file outbox also logs each message's links (development's console).
    MAIL_LOG_LINKS = False

    # The background worker (shared_web.background). With no broker, a task runs
    # in the web process right after the commit that queued it.
    CELERY_BROKER_URL = None
    # The outbox relay (shared_models.outbox): an email still unsent this many
    # seconds after it was queued, or after a worker took it, is handed to the
    # worker again; the worker looks for such emails every OUTBOX_RELAY_INTERVAL.
    # A send must fit well inside OUTBOX_RELAY_AFTER (see check_mail_timing).
    OUTBOX_RELAY_AFTER = 300
    OUTBOX_RELAY_INTERVAL = 60

    @classmethod
    def from_environment(cls, app_name: str, instance_path: Path) -> dict:
        """The settings the environment decides, with this environment's defaults."""
        return {
            # Cookies ignore ports: both layouts served from 127.0.0.1 side by
            # side need their own names, or signing in to one confuses the other.
            "SESSION_COOKIE_NAME": f"{app_name}_session",
            "REMEMBER_COOKIE_NAME": f"{app_name}_remember",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or cls.default_secret_key(instance_path),
            "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL")
            or f"sqlite:///{instance_path / 'inkpot.sqlite3'}",
            "RATELIMIT_ENABLED": _env_flag("RATELIMIT_ENABLED", cls.RATELIMIT_ENABLED),
            "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
            or cls.RATELIMIT_STORAGE_URI,
            "PUBLIC_URL": os.environ.get("PUBLIC_URL") or None,
            "LOG_FORMAT": os.environ.get("LOG_FORMAT") or cls.LOG_FORMAT,
            "METRICS_ALLOWED_IPS": os.environ.get("METRICS_ALLOWED_IPS") or cls.METRICS_ALLOWED_IPS,
            "TRUSTED_HOSTS": _env_list("TRUSTED_HOSTS"),
            "MAIL_SERVER": os.environ.get("MAIL_SERVER") or cls.MAIL_SERVER,
            "MAIL_PORT": _env_whole_number("MAIL_PORT", cls.MAIL_PORT),
            "MAIL_USE_TLS": _env_flag("MAIL_USE_TLS", cls.MAIL_USE_TLS),
            "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or cls.MAIL_USERNAME,
            "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or cls.MAIL_PASSWORD,
            "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER") or cls.MAIL_DEFAULT_SENDER,
            "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR") or str(instance_path / "outbox"),
            "MAIL_TIMEOUT": _env_whole_number("MAIL_TIMEOUT", cls.MAIL_TIMEOUT),
            "MAIL_RETRY_DELAY": _env_whole_number("MAIL_RETRY_DELAY", cls.MAIL_RETRY_DELAY),
            "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL") or cls.CELERY_BROKER_URL,
            "CACHE_ENABLED": _env_flag("CACHE_ENABLED", cls.CACHE_ENABLED),
            "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL") or cls.CACHE_REDIS_URL,
            "CACHE_ENTRY_MAX_BYTES": _env_whole_number(
                "CACHE_ENTRY_MAX_BYTES", cls.CACHE_ENTRY_MAX_BYTES
            ),
            "OUTBOX_RELAY_AFTER": _env_whole_number("OUTBOX_RELAY_AFTER", cls.OUTBOX_RELAY_AFTER),
            "OUTBOX_RELAY_INTERVAL": _env_whole_number(
                "OUTBOX_RELAY_INTERVAL", cls.OUTBOX_RELAY_INTERVAL
            ),
        }

    @staticmethod
    def default_secret_key(instance_path: Path) -> str | None:
        """A random key kept in the instance folder, so sessions survive a restart."""
        key_file = instance_path / "secret_key"
        if not key_file.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip()

    @classmethod
    def check(cls, config: dict) -> None:
        """Raise ConfigError if these settings are unsafe for this environment."""
        check_mail_timing(config)


def check_mail_timing(config: dict) -> None:
    """A worker holds an email for OUTBOX_RELAY_AFTER; a send must end well before that.

    Otherwise the relay would hand a slow but live send to another worker, and
    the message would go out twice.
    """
    # Connecting, greeting, TLS, login, sender, recipient, data, end: each may take MAIL_TIMEOUT.
    longest_send = 8 * config["MAIL_TIMEOUT"]
    if config["OUTBOX_RELAY_AFTER"] <= longest_send:
        raise ConfigError(
            f"OUTBOX_RELAY_AFTER={config['OUTBOX_RELAY_AFTER']} must exceed 8 × MAIL_TIMEOUT "
            f"({longest_send} s), the longest a send may take; raise it or lower MAIL_TIMEOUT."
        )
    if config["OUTBOX_RELAY_INTERVAL"] < 1 or config["MAIL_TIMEOUT"] < 1:
        raise ConfigError("OUTBOX_RELAY_INTERVAL and MAIL_TIMEOUT are at least 1 second.")


class DevelopmentConfig(Config):
    APP_ENV = "development"
    # `make run` prints each message's links, so a newcomer can click through.
    MAIL_LOG_LINKS = True


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    # Hashing is deliberately slow; tests hash hundreds of passwords.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # Tests sign in and up many times from one address; the throttling tests
    # switch it back on (RATELIMIT_ENABLED=True) to prove it works.
    RATELIMIT_ENABLED = False

    @staticmethod
    def default_secret_key(instance_path: Path) -> str:
        return "testing-" + "x" * MIN_SECRET_KEY_LENGTH


class ProductionConfig(Config):
    APP_ENV = "production"
    LOG_FORMAT = "json"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    TRUST_PROXY_HEADERS = True

    @staticmethod
    def default_secret_key(instance_path: Path) -> None:
        return None

    @classmethod
    def check(cls, config: dict) -> None:
        key = config.get("SECRET_KEY")
        if not key:
            raise ConfigError(
                "SECRET_KEY is not set. Production needs one: generate it with "
                "`python -c 'import secrets; print(secrets.token_hex(32))'` "
                "and put it in the environment."
            )
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"SECRET_KEY is too short ({len(key)} characters); "
                f"use at least {MIN_SECRET_KEY_LENGTH} random characters."
            )
        if config.get("DEBUG"):
            raise ConfigError("DEBUG is on; never run the debugger in production.")
        if not config.get("PUBLIC_URL"):
            raise ConfigError(
                "PUBLIC_URL is not set. Production needs the site's public address "
                "(PUBLIC_URL=https://inkpot.example.com): links in emails are built "
                "from it, and only its host name may reach the app."
            )
        if not config.get("CELERY_BROKER_URL"):
            raise ConfigError(
                "CELERY_BROKER_URL is not set. Production sends email from the background "
                "worker, through a broker (CELERY_BROKER_URL=redis://:PASSWORD@127.0.0.1:6379/1); "
                "without one, every email would be sent from inside a web request."
            )
        for name in ("RATELIMIT_STORAGE_URI", "CELERY_BROKER_URL", "CACHE_REDIS_URL"):
            if REDIS_PASSWORD_PLACEHOLDER in (config.get(name) or ""):
                raise ConfigError(
                    f"{name} still says {REDIS_PASSWORD_PLACEHOLDER}: put Redis's password "
                    "there (requirepass in /etc/redis/redis-inkpot.conf), as in every Redis "
                    "URL of the env file (deploy/README.md, step 4)."
                )
        if config.get("MAIL_PASSWORD") and not config.get("MAIL_USE_TLS"):
            raise ConfigError(
                "MAIL_PASSWORD is set but MAIL_USE_TLS is not: the SMTP password would "
                "cross the network in the clear. Set MAIL_USE_TLS=true (port 587)."
            )
        super().check(config)


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(app, overrides: dict | None = None) -> None:
    """Fill app.config for APP_ENV (or overrides["APP_ENV"]), then refuse unsafe settings."""
    overrides = overrides or {}
    name = overrides.get("APP_ENV") or os.environ.get("APP_ENV") or "development"
    try:
        config_class = CONFIGS[name]
    except KeyError:
        raise ConfigError(f"APP_ENV={name!r} is not one of: {', '.join(CONFIGS)}.") from None
    app.config.from_object(config_class)
    app.config.update(config_class.from_environment(app.name, Path(app.instance_path)))
    app.config.update(overrides)
    app.config["METRICS_ALLOWED_NETWORKS"] = allowed_networks(app.config["METRICS_ALLOWED_IPS"])
    if app.config["LOG_FORMAT"] not in {"text", "json"}:
        raise ConfigError(f"LOG_FORMAT={app.config['LOG_FORMAT']!r} is not one of: text, json.")
    if app.config["PUBLIC_URL"]:
        host = public_url_host(app.config["PUBLIC_URL"])
        app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"].rstrip("/")
        # Flask answers 400 to any other Host: the app builds absolute links (a
        # feed's ids, redirects) from it, so a forged one must never get that far.
        if app.config["TRUSTED_HOSTS"] is None:
            app.config["TRUSTED_HOSTS"] = [host]
    # Explicit SQLALCHEMY_ENGINE_OPTIONS (class or overrides) win over the environment's sizes.
    pool = database_pool_options(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**pool, **app.config["SQLALCHEMY_ENGINE_OPTIONS"]}
    config_class.check(app.config)
