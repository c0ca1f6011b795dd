"""The worker's tasks: send an outbox email, relay the overdue ones, remove stale accounts.

Defined once, as Celery shared tasks, for both layouts: each app's Celery app
(shared_web.background) runs them inside that app's context, so they render
with that layout's templates. Running any of them twice is harmless: an email's
task carries only its outbox id and reads the row's state when it runs, so a
sent email is not sent again and one held by another attempt is left to it; the
other two act on what the database holds when they run.
"""

from datetime import timedelta

from celery import shared_task
from celery.exceptions import Retry
from flask import current_app

from shared_models import accounts, outbox
from shared_models.models import EmailStatus
from shared_web import mail
from shared_web.background import (
    RELAY_OUTBOX,
    REMOVE_STALE_ACCOUNTS,
    SEND_EMAIL,
    relay_overdue_emails,
)
from shared_web.logs import TASK_REQUEST_ID
from shared_web.metrics import EMAILS


# Acknowledged only after it ran, and handed back to the queue if its worker process
# dies meanwhile: a worker killed mid-send does not lose the message.
@shared_task(
    name=SEND_EMAIL, bind=True, max_retries=None, acks_late=True, reject_on_worker_lost=True
)
def send_email(self, email_id: int, request_id: str | None = None) -> str:
    """Send outbox email `email_id`; retry with a growing wait while the mail server fails.

    `request_id` is the id of the request that queued it, for the log lines.
    """
    token = TASK_REQUEST_ID.set(request_id)
    try:
        outcome = _send(self, email_id)
    finally:
        TASK_REQUEST_ID.reset(token)
    EMAILS.labels("skipped" if outcome.startswith("skipped") else str(outcome)).inc()
    return outcome


def _send(self, email_id: int) -> str:
    email = outbox.claim(email_id)
    if email is None:
        # Sent already, given up on, or held by another attempt: nothing to do here.
        return f"skipped ({outbox.status_of(email_id)})"
    try:
        message, links = mail.compose(email)
        mail.deliver(email, message, links)
    except mail.PermanentFailure as error:
        outbox.mark_failed(email, str(error))
        current_app.logger.error("Email %s to %s was refused: %s", email.id, email.kind, error)
        return EmailStatus.FAILED
    except mail.TemporaryFailure as error:
        try:
            return _try_again_later(self, email, error)
        except Retry:
            EMAILS.labels("retried").inc()
            raise
    outbox.mark_sent(email)
    return EmailStatus.SENT


def _try_again_later(task, email, error: mail.TemporaryFailure) -> str:
    config = current_app.config
    retries = task.request.retries
    if task.request.is_eager:
        # No worker to retry later: the email waits in the outbox for `flask relay-outbox`.
        outbox.mark_for_retry(email, str(error), delay=None)
        current_app.logger.warning(
            "Email %s could not be sent (%s); it waits in the outbox: run `flask relay-outbox`.",
            email.id,
            error,
        )
        return EmailStatus.PENDING
    if retries >= config["MAIL_RETRIES"]:
        outbox.mark_failed(email, str(error))
        current_app.logger.error(
            "Email %s could not be sent after %d attempts: %s", email.id, retries + 1, error
        )
        return EmailStatus.FAILED
    delay = min(config["MAIL_RETRY_DELAY"] * 2**retries, config["MAIL_RETRY_DELAY_MAX"])
    outbox.mark_for_retry(email, str(error), timedelta(seconds=delay))
    current_app.logger.warning(
        "Email %s could not be sent (%s); trying again in %d s.", email.id, error, delay
    )
    raise task.retry(countdown=delay, exc=error)


@shared_task(name=RELAY_OUTBOX)
def relay_outbox() -> int:
    """Queue again the emails whose message was lost: the broker was down, or a worker died."""
    return relay_overdue_emails()


@shared_task(name=REMOVE_STALE_ACCOUNTS)
def remove_stale_unconfirmed_accounts() -> int:
    """Free the usernames and addresses of accounts nobody confirmed while their link lived."""
    count = accounts.remove_stale_unconfirmed_accounts()
    if count:
        current_app.logger.info("Removed %d unconfirmed account(s) past their link.", count)
    return count
