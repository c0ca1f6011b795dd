"""shared_models.sessions: server-side sessions that sign-out, a new password or suspension end."""

from datetime import timedelta

import pytest

from shared_models import accounts, db, sessions
from shared_models.models import UserSession, utcnow
from tests.support.clients import PASSWORD

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def writer(domain_app):
    return accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)


def test_a_session_id_loads_its_user(writer):
    session_id = sessions.start_session(writer, remember=False, user_agent=FIREFOX_LINUX)

    assert sessions.load_user_for_session(session_id) == writer
    assert writer.get_id() == session_id


@pytest.mark.parametrize("session_id", ["", "x", "1", "1.", ".secret", "abc.x", "-1.x", "1:0"])
def test_a_malformed_session_id_loads_nobody(writer, session_id):
    sessions.start_session(writer, remember=False)

    assert sessions.load_user_for_session(session_id) is None


def test_a_session_id_with_the_wrong_secret_loads_nobody(writer):
    number, _, secret = sessions.start_session(writer, remember=False).partition(".")

    assert sessions.load_user_for_session(f"{number}.{secret[:-1]}x") is None
    assert sessions.load_user_for_session(f"{int(number) + 1}.{secret}") is None


def test_the_database_keeps_only_a_hash_of_the_secret(writer):
    secret = sessions.start_session(writer, remember=False).partition(".")[2]

    row = db.session.execute(db.select(UserSession)).scalar_one()
    assert secret not in row.secret_hash


def test_signing_out_ends_that_session_only(writer):
    gone, kept = (sessions.start_session(writer, remember=False) for _ in range(2))

    sessions.end_session(gone)

    assert sessions.load_user_for_session(gone) is None
    assert sessions.load_user_for_session(kept) == writer


@pytest.mark.parametrize(
    ("remember", "idle"), [(False, "SESSION_IDLE_TIMEOUT"), (True, "REMEMBER_COOKIE_DURATION")]
)
def test_a_session_idle_for_too_long_has_ended(domain_app, writer, remember, idle):
    session_id = sessions.start_session(writer, remember=remember)
    row = db.session.execute(db.select(UserSession)).scalar_one()

    row.last_seen_at = utcnow() - domain_app.config[idle] + timedelta(minutes=1)
    db.session.commit()
    assert sessions.load_user_for_session(session_id) == writer

    row.last_seen_at = utcnow() - domain_app.config[idle] - timedelta(minutes=1)
    db.session.commit()
    assert sessions.load_user_for_session(session_id) is None
    assert sessions.live_sessions(writer) == []


def test_activity_is_recorded_now_and_then_not_on_every_request(writer):
    session_id = sessions.start_session(writer, remember=False)
    row = db.session.execute(db.select(UserSession)).scalar_one()
    row.last_seen_at = long_ago = utcnow() - timedelta(hours=1)
    db.session.commit()

    sessions.load_user_for_session(session_id)
    seen = row.last_seen_at
    assert seen > long_ago.replace(tzinfo=seen.tzinfo)
    sessions.load_user_for_session(session_id)
    assert row.last_seen_at == seen


def test_a_suspended_users_session_loads_nobody(writer):
    session_id = sessions.start_session(writer, remember=True)
    writer.is_suspended = True
    db.session.commit()

    assert sessions.load_user_for_session(session_id) is None


def test_live_sessions_lists_the_most_recently_active_first(writer):
    older = sessions.start_session(writer, remember=False)
    newer = sessions.start_session(writer, remember=True, address="203.0.113.7")
    for row in db.session.execute(db.select(UserSession)).scalars():
        hours = 2 if row.is_named_by(older) else 1
        row.last_seen_at = utcnow() - timedelta(hours=hours)
    db.session.commit()

    listed = sessions.live_sessions(writer)

    assert [row.is_named_by(newer) for row in listed] == [True, False]
    assert [row.address for row in listed] == ["203.0.113.7", ""]


def test_signing_in_again_clears_away_expired_sessions(domain_app, writer):
    sessions.start_session(writer, remember=False)
    row = db.session.execute(db.select(UserSession)).scalar_one()
    row.last_seen_at = utcnow() - domain_app.config["SESSION_IDLE_TIMEOUT"] * 2
    db.session.commit()

    sessions.start_session(writer, remember=False)

    assert db.session.execute(db.select(db.func.count(UserSession.id))).scalar_one() == 1


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX_LINUX, "Firefox on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Safari on iOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.0.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        ("curl/8.5.0", "A script"),
        ("", "An unknown browser"),
    ],
)
def test_a_session_is_described_by_its_browser_and_system(user_agent, device):
    assert sessions.describe_device(user_agent) == device
