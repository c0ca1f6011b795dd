"""The outbox and the worker's tasks, in-process: after commit only, idempotent, SMTP or files.

With no broker the task runs in the web process right after the commit; the
real worker, broker and mail server are in tests/deploy/test_mail_worker.py.
"""

import email
from datetime import timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from shared_models import accounts, db, outbox
from shared_models.models import EmailKind, EmailStatus, OutboundEmail, utcnow
from shared_web import background
from tests.support.apps import make_app
from tests.support.clients import PASSWORD
from tests.support.machine import free_port
from tests.support.mail import Outbox


def rows(app):
    with app.app_context():
        return db.session.execute(
            select(OutboundEmail.kind, OutboundEmail.status, OutboundEmail.attempts)
        ).all()


def test_an_email_is_sent_only_after_its_transaction_commits(app):
    mailbox = Outbox.of(app)
    with app.app_context():
        user = accounts.sign_up("writer", "writer@example.com", PASSWORD)
        outbox.queue_email(EmailKind.CONFIRM_EMAIL, user.email, user)
        db.session.flush()
        assert len(mailbox) == 0  # queued, not committed: nothing may read it yet
        db.session.commit()
        assert len(mailbox) == 1
    assert rows(app) == [("confirm_email", "sent", 1)]


def test_a_rolled_back_email_is_never_sent(app):
    with app.app_context():
        user = accounts.sign_up("writer", "writer@example.com", PASSWORD)
        outbox.queue_email(EmailKind.CONFIRM_EMAIL, user.email, user)
        db.session.rollback()
        db.session.commit()
    assert len(Outbox.of(app)) == 0
    assert rows(app) == []


def test_sending_an_email_twice_delivers_it_once(app, monkeypatch):
    from shared_web import mail

    delivered = []
    deliver = mail.deliver
    monkeypatch.setattr(mail, "deliver", lambda *args: delivered.append(args) or deliver(*args))
    with app.app_context():
        accounts.register("writer", "writer@example.com", PASSWORD)
        (email_id,) = db.session.execute(select(OutboundEmail.id)).scalars()
        task = app.extensions["celery"].tasks[background.SEND_EMAIL]
        # A duplicate delivery of the task, as a broker may make.
        assert task.apply(args=(email_id,)).result == "skipped (sent)"
    assert len(delivered) == 1


def test_an_email_held_by_another_attempt_is_left_to_it(app):
    with app.app_context():
        accounts.sign_up("writer", "writer@example.com", PASSWORD)
        user = accounts.get_user_by_email("writer@example.com")
        db.session.add(
            OutboundEmail(kind=EmailKind.CONFIRM_EMAIL, to_address=user.email, user=user)
        )
        db.session.commit()
        (email_id,) = db.session.execute(select(OutboundEmail.id)).scalars()
        assert outbox.claim(email_id) is not None
        # A second attempt (a duplicate task) may not take it while the first holds it ...
        assert outbox.claim(email_id) is None
        assert outbox.take_overdue() == []
        # ... until its time runs out: then the relay frees it, and it can be taken again.
        held = db.session.get(OutboundEmail, email_id)
        held.relay_after = utcnow() - timedelta(seconds=1)
        db.session.commit()
        assert outbox.take_overdue() == [email_id]
        assert outbox.status_of(email_id) == EmailStatus.PENDING
        assert outbox.claim(email_id) is not None


def test_an_eml_file_is_an_rfc_5322_message_with_two_parts(app, auth):
    auth.signup("writer", confirm=False)

    (path,) = Outbox.of(app).directory.glob("*.eml")
    raw = path.read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    message = email.message_from_bytes(raw, policy=policy.default)
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert message[header], header
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]


class Sink:
    """An in-process SMTP server on a free loopback port that keeps or refuses messages."""

    def __init__(self):
        self.messages, self.answer = [], None

    async def handle_DATA(self, server, session, envelope):
        if self.answer:
            return self.answer
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(layout, database_url):
    """An app that sends over SMTP to an in-process sink: (app, sink)."""
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app = make_app(layout, database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5)
    try:
        yield app, sink
    finally:
        controller.stop()
        with app.app_context():
            db.engine.dispose()


def test_with_a_mail_server_emails_go_over_smtp(smtp):
    app, sink = smtp
    with app.app_context():
        accounts.register("writer", "writer@example.com", PASSWORD)

    (message,) = sink.messages
    assert message["To"] == "writer@example.com"
    assert message["Subject"] == "Confirm your email address for Inkpot"
    assert len(Outbox.of(app)) == 0
    assert rows(app) == [("confirm_email", "sent", 1)]


def test_an_email_the_server_refuses_for_now_waits_for_the_relay(smtp, caplog):
    app, sink = smtp
    sink.answer = "451 4.3.0 Try again later"
    with app.app_context():
        accounts.register("writer", "writer@example.com", PASSWORD)
    assert sink.messages == []
    assert rows(app) == [("confirm_email", "pending", 1)]
    assert "run `flask relay-outbox`" in caplog.text

    sink.answer = None
    result = app.test_cli_runner().invoke(args=["relay-outbox"])

    assert result.output == "Relayed 1 email.\n"
    assert len(sink.messages) == 1
    assert rows(app) == [("confirm_email", "sent", 2)]


def test_an_email_refused_for_good_is_given_up_with_its_error(smtp, caplog):
    app, sink = smtp
    sink.answer = "554 5.7.1 Rejected as spam"
    with app.app_context():
        accounts.register("writer", "writer@example.com", PASSWORD)
        (error,) = db.session.execute(select(OutboundEmail.last_error)).scalars()

    assert rows(app) == [("confirm_email", "failed", 1)]
    assert "554" in error
    assert "was refused" in caplog.text
    assert app.test_cli_runner().invoke(args=["relay-outbox"]).output == "Relayed 0 emails.\n"


def test_a_mail_server_that_is_down_is_a_failure_that_may_pass(layout, database_url):
    from shared_web import mail

    app = make_app(layout, database_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    with app.app_context(), pytest.raises(mail.TemporaryFailure, match="could not be reached"):
        mail._send_over_smtp(email.message.EmailMessage())


def test_with_the_broker_down_the_request_answers_and_the_email_waits(layout, database_url, caplog):
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(layout, database_url, CELERY_BROKER_URL=nothing_listens)
    client = app.test_client()

    response = client.submit(
        "/signup", {"username": "writer", "email": "writer@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert "waits in the outbox for the relay" in caplog.text
    with app.app_context():
        (email_row,) = db.session.execute(select(OutboundEmail)).scalars()
        assert (email_row.status, email_row.relay_after) == (EmailStatus.PENDING, None)
        # Overdue at once: the relay takes it first thing.
        assert outbox.take_overdue() == [email_row.id]
        db.engine.dispose()


def test_smtp_errors_never_carry_the_password(smtp):
    from shared_web import mail

    app, _ = smtp
    app.config.update(MAIL_USERNAME="inkpot", MAIL_PASSWORD="smtp-secret-123", MAIL_USE_TLS=True)
    with app.app_context(), pytest.raises(mail.TemporaryFailure) as failure:
        # The sink offers no STARTTLS: the attempt fails before any login.
        mail._send_over_smtp(email.message.EmailMessage())
    assert "smtp-secret-123" not in str(failure.value)
