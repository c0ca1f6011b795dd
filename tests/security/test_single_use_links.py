"""A link used twice at once acts once: parallel uses of one emailed link, on SQLite and PostgreSQL.

Each test holds every request at the point where it has passed the link's checks
and is about to act (inside the password hashing or checking that comes between
the two), then lets them all go at once: without an atomic use, each would act.
"""

import threading

import pytest

from shared_models import accounts, db, tokens
from shared_models.models import AuditEvent, EmailKind, OutboundEmail, User
from tests.support.apps import make_app
from tests.support.clients import PASSWORD
from tests.support.pages import main_text

NEW_PASSWORD = "a-brand-new-passphrase"
PARALLEL = 2


@pytest.fixture
def app(layout, domain_database_url, tmp_path):
    """A layout's app on a file SQLite database, then on a PostgreSQL one."""
    app = make_app(layout, domain_database_url, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    yield app
    with app.app_context():
        db.engine.dispose()


def hold_every_request_inside(monkeypatch, name: str) -> None:
    """Make accounts.<name> wait, once it has run, until PARALLEL requests have reached it."""
    meeting, original = threading.Barrier(PARALLEL), getattr(accounts, name)

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        meeting.wait(timeout=30)
        return result

    monkeypatch.setattr(accounts, name, held)


def post_at_once(app, url: str, data: dict) -> list:
    """POST the form from PARALLEL browsers at the same moment; their answers."""
    browsers = [app.test_client() for _ in range(PARALLEL)]
    tokens_ = [browser.csrf_token() for browser in browsers]
    start, answers = threading.Barrier(PARALLEL), [None] * PARALLEL

    def post(number):
        start.wait(timeout=30)
        form = {"csrf_token": tokens_[number], **data}
        answers[number] = browsers[number].post(url, data=form)

    threads = [threading.Thread(target=post, args=(number,)) for number in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(answer is not None for answer in answers), "a request never answered"
    return sorted(answers, key=lambda answer: answer.status_code)


def assert_one_acted(answers) -> None:
    won, *lost = answers
    assert won.status_code == 302
    for answer in lost:
        assert answer.status_code == 400
        assert "This link has been used already" in main_text(answer)


def link_for(app, purpose, username: str, **data) -> str:
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        token = tokens.make_token(purpose, user, **data)
        db.session.remove()
    return token


def count_events(app, action: str) -> int:
    with app.app_context():
        count = db.session.execute(
            db.select(db.func.count()).where(AuditEvent.action == action)
        ).scalar_one()
        db.session.remove()
    return count


def test_a_reset_link_posted_twice_at_once_sets_one_password(app, make_user, monkeypatch):
    make_user("writer")
    token = link_for(app, tokens.RESET_PASSWORD, "writer")
    hold_every_request_inside(monkeypatch, "_hash_password")

    answers = post_at_once(app, f"/password/reset/{token}", {"new_password": NEW_PASSWORD})

    assert_one_acted(answers)
    assert count_events(app, "user.password_reset") == 1


def test_a_confirmation_link_posted_twice_at_once_confirms_once(app, make_user, monkeypatch):
    make_user("newcomer", confirmed=False)
    token = link_for(app, tokens.CONFIRM_EMAIL, "newcomer")
    hold_every_request_inside(monkeypatch, "check_password_hash")

    answers = post_at_once(app, f"/confirm/{token}", {"password": PASSWORD})

    assert_one_acted(answers)
    assert count_events(app, "user.email_confirmed") == 1


def test_an_email_change_link_posted_twice_at_once_moves_the_account_once(
    app, make_user, monkeypatch
):
    make_user("writer")
    token = link_for(app, tokens.CHANGE_EMAIL, "writer", new_email="moved@example.com")
    hold_every_request_inside(monkeypatch, "check_password_hash")

    answers = post_at_once(app, f"/confirm/{token}", {"password": PASSWORD})

    assert_one_acted(answers)
    assert count_events(app, "user.email_changed") == 1
    with app.app_context():
        notices = db.session.execute(
            db.select(db.func.count()).where(OutboundEmail.kind == EmailKind.EMAIL_CHANGED)
        ).scalar_one()
        db.session.remove()
    assert notices == 1
