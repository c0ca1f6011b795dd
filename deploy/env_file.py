"""The env file, /etc/inkpot/inkpot.env on a server: KEY=value lines holding a server's settings.

gunicorn.conf.py passes its values to the app, and render.py reads LAYOUT from
it. The shell reads it too (deploy/inkpot-flask sources it), so inkpot.env.example
keeps to what both understand. Its APP_ENV is one setting the server's entry points
will not start without (require_app_env).
"""

import os
from pathlib import Path

DEFAULT_ENV_FILE = Path("/etc/inkpot/inkpot.env")


class AppEnvMissing(RuntimeError):
    """A server's entry point was started without APP_ENV; the message says what to set."""


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines; blank lines and # comments skipped, one pair of outer quotes removed."""
    values = {}
    for number, raw_line in enumerate(path.read_text().splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = line.partition("=")
        key = key.removeprefix("export ").strip()
        if not equals or not key.isidentifier():
            raise ValueError(f"{path}:{number}: expected KEY=value, got {line!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def require_app_env() -> None:
    """Refuse to go on unless APP_ENV names the settings: for the server's entry points.

    The app's default is development, right for `make run` and wrong on a server:
    cookies without Secure, no proxy headers trusted, any SECRET_KEY accepted. So
    gunicorn's deploy/wsgi.py and the worker's deploy/worker.py never assume it.
    """
    if not os.environ.get("APP_ENV", "").strip():
        raise AppEnvMissing(
            f"APP_ENV is not set. On a server, set APP_ENV=production in the env file "
            f"({DEFAULT_ENV_FILE}, as deploy/inkpot.env.example does). gunicorn and the "
            "worker never fall back to development's settings: name APP_ENV=development to "
            "run those."
        )
