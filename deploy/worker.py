"""The background worker's entry, `celery --app deploy.worker worker`: the layout LAYOUT names.

As in Flask's "Background Tasks with Celery": this module builds the Flask app
and Celery finds `celery_app`, that app's Celery app (shared_web.background),
so every task runs inside the app's context, with its settings and its
layout's email templates. Settings come from the environment, as the web app's
do; supervisor gives it the web app's own env file (deploy/supervisor/inkpot.conf).
"""

import os

from celery.signals import worker_process_init, worker_ready

from deploy import layout_module
from shared_models import db
from shared_web.background import RELAY_OUTBOX

flask_app = layout_module(os.environ.get("LAYOUT", "functional").strip().lower()).create_app()
celery_app = flask_app.extensions["celery"]


@worker_process_init.connect
def open_own_database_connections(**_):
    """A pool process is forked: it must not reuse connections the parent may have opened."""
    with flask_app.app_context():
        db.engine.dispose(close=False)


@worker_ready.connect
def relay_what_waited(**_):
    """Emails that waited while no worker could take them (the broker or the worker was down)."""
    celery_app.send_task(RELAY_OUTBOX)
