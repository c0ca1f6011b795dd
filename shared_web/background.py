"""Background work the Flask way: Celery bound to the app, emails handed to it after the commit.

This follows Flask's "Background Tasks with Celery" pattern: every app gets its
own Celery app (`app.extensions["celery"]`) whose tasks run inside an app
context, and the tasks themselves (shared_web.tasks) are shared tasks, defined
once for both layouts. `celery --app deploy.worker worker` runs them.

The web request never sends mail. The domain writes each email to the outbox
in the same transaction as the change (shared_models.outbox); once that
transaction commits, `enqueue_email` puts a task carrying the row's id on the
queue. With no CELERY_BROKER_URL (development, tests) the task runs right
there, in-process, after the commit. If the broker cannot be reached, the row
stays pending and the worker's relay sends it when the broker is back: the
visitor gets their usual answer, and nothing is lost.
"""

import contextlib

import click
from celery import Celery, Task
from flask import Flask, current_app, has_request_context
from flask.cli import with_appcontext
from kombu.exceptions import OperationalError
from sqlalchemy.exc import SQLAlchemyError

from shared_models import outbox
from shared_web.request_ids import request_id as current_request_id

SEND_EMAIL = "inkpot.send_email"
RELAY_OUTBOX = "inkpot.relay_outbox"
REMOVE_STALE_ACCOUNTS = "inkpot.remove_stale_unconfirmed_accounts"
# How often the worker removes unconfirmed accounts past their link's 48 hours: each goes
# within an hour of it.
STALE_ACCOUNTS_INTERVAL = 60 * 60


def init_app(app: Flask) -> Celery:
    """Give the app its Celery app, and hand each committed email to it."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery_app = Celery(app.import_name, task_cls=FlaskTask)
    celery_app.config_from_object(celery_settings(app.config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    outbox.on_commit(app, enqueue_email)
    app.cli.add_command(relay_outbox_command)
    # Registers the shared tasks with every Celery app, this one included.
    from shared_web import tasks  # noqa: F401

    return celery_app


def celery_settings(config) -> dict:
    """Celery's settings, from the app's: a task is acknowledged only once it has run."""
    broker = config["CELERY_BROKER_URL"]
    longest_send = 8 * config["MAIL_TIMEOUT"]
    return {
        "broker_url": broker or "memory://",
        # No broker: run each task in-process, at once (after the commit that queued it).
        "task_always_eager": broker is None,
        # Tests see a task's crash as the request's; development logs it and goes on.
        "task_eager_propagates": bool(config.get("TESTING")),
        "task_ignore_result": True,
        # One message at a time per worker process, so a late ack (shared_web.tasks)
        # holds back no others.
        "worker_prefetch_multiplier": 1,
        # A send never outlives the outbox's hold on its row (see shared_models.outbox).
        "task_time_limit": longest_send + 5,
        # Redis gives a message to another worker if unacknowledged for this long; a
        # retry waits in the worker unacknowledged, so this exceeds the longest retry wait.
        "broker_transport_options": {"visibility_timeout": 2 * config["MAIL_RETRY_DELAY_MAX"]},
        # The broker down at enqueue: give up in about a second (the outbox keeps the email).
        "broker_connection_timeout": 2,
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 0.5,
        },
        "broker_connection_retry_on_startup": True,
        "beat_schedule": {
            "relay-outbox": {"task": RELAY_OUTBOX, "schedule": config["OUTBOX_RELAY_INTERVAL"]},
            "remove-stale-unconfirmed-accounts": {
                "task": REMOVE_STALE_ACCOUNTS,
                "schedule": STALE_ACCOUNTS_INTERVAL,
            },
        },
        # Beat runs inside the worker (`--beat`), and each of its entries may run at any
        # moment, twice or late: nothing to remember across restarts, so no schedule file.
        "beat_scheduler": "celery.beat:Scheduler",
        "timezone": "UTC",
    }


def enqueue_email(email_id: int) -> None:
    """Queue the task that sends an outbox email; if the broker is down, leave it to the relay."""
    task = current_app.extensions["celery"].tasks[SEND_EMAIL]
    # The task's log lines carry the id of the request that queued it.
    request_id = current_request_id() if has_request_context() else None
    try:
        task.apply_async((email_id,), {"request_id": request_id})
    except (OperationalError, OSError) as error:
        current_app.logger.warning(
            "The task queue is unreachable (%s); email %s waits in the outbox for the relay.",
            error,
            email_id,
        )
        # If even this fails, the email is overdue anyway once its relay_after passes.
        with contextlib.suppress(SQLAlchemyError):
            outbox.mark_overdue([email_id])


def relay_overdue_emails() -> int:
    """Queue again every email still unsent past its relay_after; how many there were."""
    email_ids = outbox.take_overdue()
    for email_id in email_ids:
        enqueue_email(email_id)
    if email_ids:
        current_app.logger.info("Relayed %d overdue email(s) to the worker.", len(email_ids))
    return len(email_ids)


@click.command("relay-outbox")
@with_appcontext
def relay_outbox_command() -> None:
    """Queue every overdue unsent email again (with no broker: send it now)."""
    count = relay_overdue_emails()
    click.echo(f"Relayed {count} email{'s' if count != 1 else ''}.")
