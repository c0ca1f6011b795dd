"""The outbox: each email is a row written in the same transaction as the change it tells of.

The domain never talks to a mail server or a queue. A flow adds an
OutboundEmail to its transaction with `queue_email`; only once that
transaction commits is the row's id handed to what the app registered with
`on_commit` (shared_web.background: a Celery task, or an in-process send when
no broker is configured). A rolled-back row is never handed over, and a task
never runs before the row it reads exists.

Nothing is lost when handing over fails (the broker is down) or when a queued
message or the worker holding it disappears: an unsent row whose `relay_after`
has passed is overdue, and the relay (`take_overdue`) hands it over again.
Sending claims the row first (`claim`), so the same email handed over twice
is still sent once.
"""

from collections.abc import Callable
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from shared_models.database import db
from shared_models.models import EMAIL_ERROR_MAX, EmailStatus, OutboundEmail, User, utcnow

# The ids of the emails this session's transaction added, handed over after it commits.
_NEW_EMAILS = "inkpot.new_emails"
_EXTENSION = "inkpot.outbox"
_LANGUAGE = "inkpot.outbox.language"
UNSENT = (EmailStatus.PENDING, EmailStatus.SENDING)


def on_commit(app, hand_over: Callable[[int], None]) -> None:
    """Have `hand_over(email_id)` called for each new email once its transaction commits."""
    app.extensions[_EXTENSION] = hand_over


def language_of_request(app, language: Callable[[], str | None]) -> None:
    """Have `language()` name the language of the page being answered, if any (`zh-Hans`).

    An email is written in its recipient's chosen language (`User.locale`), or
    else in the language of the page that asked for it: the visitor reading the
    sign-up page in Chinese gets the confirmation link in Chinese.
    """
    app.extensions[_LANGUAGE] = language


def relay_delay() -> timedelta:
    """How long an email may stay unsent, queued or held by a worker, before it is relayed."""
    return timedelta(seconds=current_app.config["OUTBOX_RELAY_AFTER"])


def queue_email(kind: str, to_address: str, user: User | None = None, **data) -> OutboundEmail:
    """Add an email to the current transaction; the caller commits."""
    email = OutboundEmail(
        kind=kind,
        to_address=to_address,
        user=user,
        data=data,
        language=(user.locale if user is not None else None) or _page_language(),
        relay_after=utcnow() + relay_delay(),
    )
    db.session.add(email)
    db.session.flush()
    db.session.info.setdefault(_NEW_EMAILS, []).append(email.id)
    return email


def _page_language() -> str | None:
    language = current_app.extensions.get(_LANGUAGE)
    return language() if language is not None else None


@event.listens_for(Session, "after_commit")
def _hand_over_new_emails(session: Session) -> None:
    email_ids = session.info.pop(_NEW_EMAILS, None)
    if not email_ids or not has_app_context():
        return
    hand_over = current_app.extensions.get(_EXTENSION)
    if hand_over is None:
        return  # no worker set up: the rows wait for the relay
    for email_id in email_ids:
        hand_over(email_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_emails(session: Session) -> None:
    session.info.pop(_NEW_EMAILS, None)


def mark_overdue(email_ids: list[int]) -> None:
    """Let the relay hand these emails over at once (handing them over failed).

    Called just after a commit, where the session cannot run SQL: it uses a
    connection of its own.
    """
    with db.engine.begin() as connection:
        connection.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(email_ids), OutboundEmail.status.in_(UNSENT))
            .values(relay_after=None)
        )


def take_overdue(limit: int = 500) -> list[int]:
    """The ids of unsent emails past their relay_after, each given a new relay_after; commits.

    An email held by an attempt past its time is pending again: that attempt died.
    """
    now = utcnow()
    email_ids = list(
        db.session.execute(
            select(OutboundEmail.id)
            .where(
                OutboundEmail.status.in_(UNSENT),
                or_(OutboundEmail.relay_after.is_(None), OutboundEmail.relay_after < now),
            )
            .order_by(OutboundEmail.id)
            .limit(limit)
        ).scalars()
    )
    if email_ids:
        db.session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id.in_(email_ids))
            .values(status=EmailStatus.PENDING, relay_after=now + relay_delay())
        )
    db.session.commit()
    return email_ids


def claim(email_id: int) -> OutboundEmail | None:
    """Take an email to send it, for relay_delay() at most; commits. None: not to be sent now.

    An email is not claimed when it is sent or failed already, or while another
    attempt holds it (a duplicate delivery of its task). An attempt that died
    holding it lets go when its time runs out, and the relay hands it over again.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            or_(
                OutboundEmail.status == EmailStatus.PENDING,
                (OutboundEmail.status == EmailStatus.SENDING) & (OutboundEmail.relay_after < now),
            ),
        )
        .values(
            status=EmailStatus.SENDING,
            attempts=OutboundEmail.attempts + 1,
            relay_after=now + relay_delay(),
        )
    ).rowcount
    db.session.commit()
    return db.session.get(OutboundEmail, email_id) if claimed == 1 else None


def status_of(email_id: int) -> str | None:
    return db.session.execute(
        select(OutboundEmail.status).where(OutboundEmail.id == email_id)
    ).scalar_one_or_none()


def mark_sent(email: OutboundEmail) -> None:
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.relay_after = None
    email.last_error = ""
    db.session.commit()


def mark_for_retry(email: OutboundEmail, error: str, delay: timedelta | None) -> None:
    """Let go of an email after a failure that may pass; its retry is due after `delay`.

    `delay=None`: no retry is queued, so the relay may take it at once.
    """
    email.status = EmailStatus.PENDING
    email.relay_after = None if delay is None else utcnow() + delay + relay_delay()
    email.last_error = error[:EMAIL_ERROR_MAX]
    db.session.commit()


def mark_failed(email: OutboundEmail, error: str) -> None:
    """Give up on an email: refused for good, or out of retries. It stays, with its error."""
    email.status = EmailStatus.FAILED
    email.relay_after = None
    email.last_error = error[:EMAIL_ERROR_MAX]
    db.session.commit()
