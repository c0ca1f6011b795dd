"""Running Inkpot: the WSGI entry, gunicorn, nginx and supervisor configs, the local stack."""

import importlib
from types import ModuleType

# The two packages that build the same site, named once for the whole repository: the
# production entry, the stack runner, the scripts and the tests all read LAYOUTS from
# here. LAYOUT=<name> picks one to serve.
LAYOUTS = ("functional", "divisional")


def layout_module(layout: str) -> ModuleType:
    """The package of a layout (`functional` → functional_layout), with its create_app."""
    if layout not in LAYOUTS:
        raise ValueError(f"LAYOUT={layout!r}: choose one of {', '.join(LAYOUTS)}.")
    return importlib.import_module(f"{layout}_layout")
