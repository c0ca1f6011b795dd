"""The WSGI entry gunicorn loads, `deploy.wsgi:app`: the layout LAYOUT=functional|divisional names.

gevent must patch the standard library before anything imports socket, ssl or
a database driver. gunicorn's gevent worker patches before it loads this module,
but with `--preload` this module is imported in the master first: psycopg
imported unpatched picks a blocking wait function, and every query then stalls
the whole worker (50 concurrent 0.2 s queries take 10 s instead of 0.3 s). So
the patch comes first here, whatever loads this module.
"""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402  (after the patch, on purpose)

from deploy import layout_module  # noqa: E402
from deploy.env_file import require_app_env  # noqa: E402
from shared_web import warm_up  # noqa: E402


def create_app():
    """Build the layout LAYOUT names; once per worker, since workers import this module."""
    require_app_env()  # a server names its settings: never development's by default
    return layout_module(os.environ.get("LAYOUT", "functional").strip().lower()).create_app()


app = create_app()
# Templates compiled and a database connection open before the worker accepts a connection.
warm_up(app)
