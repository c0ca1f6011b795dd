"""Running Inkpot: the WSGI entry, gunicorn, nginx and supervisor configs, the local stack."""

import importlib
import os
from types import ModuleType

# The two packages that build the same site, named once for the whole repository: the
# production entry, the stack runner, the scripts and the tests all read LAYOUTS from
# here. LAYOUT=<name> picks one to serve.
LAYOUTS = ("functional", "divisional")


class AppEnvMissing(RuntimeError):
    """A server's entry point was started without APP_ENV; the message says what to set."""


def layout_module(layout: str) -> ModuleType:
    """The package of a layout (`functional` → functional_layout), with its create_app."""
    if layout not in LAYOUTS:
        raise ValueError(f"LAYOUT={layout!r}: choose one of {', '.join(LAYOUTS)}.")
    return importlib.import_module(f"{layout}_layout")


def require_app_env() -> None:
    """Refuse to go on unless APP_ENV names the settings: for the server's entry points.

    The app's default is development, right for `make run` and wrong on a server:
    cookies without Secure, no proxy headers trusted, any SECRET_KEY accepted. So
    gunicorn's deploy/wsgi.py and the worker's deploy/worker.py never assume it.
    """
    if not os.environ.get("APP_ENV", "").strip():
        raise AppEnvMissing(
            "APP_ENV is not set. On a server, set APP_ENV=production in the env file "
            "(/etc/inkpot/inkpot.env, as deploy/inkpot.env.example does). gunicorn and the "
            "worker never fall back to development's settings: name APP_ENV=development to "
            "run those."
        )
