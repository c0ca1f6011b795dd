"""shared_models.accounts, without HTTP: signing up and in, passwords, suspension, admins."""

from datetime import timedelta

import pytest

from shared_models import (
    RuleViolation,
    accounts,
    api_tokens,
    db,
    outbox,
    publishing,
    queries,
    sessions,
)
from shared_models.models import (
    ApiToken,
    AuditEvent,
    EmailKind,
    OutboundEmail,
    Post,
    Role,
    Site,
    User,
    UserSession,
    utcnow,
)
from tests.support.clients import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase"


def actions():
    return [event.action for event in db.session.execute(db.select(AuditEvent)).scalars()]


@pytest.fixture
def writer(domain_app):
    return accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)


@pytest.fixture
def admin(domain_app):
    user = accounts.sign_up("boss", "boss@example.com", PASSWORD, confirmed=True)
    user.role = Role.ADMIN
    db.session.commit()
    return user


# --- signing up -------------------------------------------------------------------------


@pytest.mark.smoke
def test_sign_up_creates_a_user_with_a_site_named_after_them(domain_app):
    user = accounts.sign_up("Writer", " Writer@Example.COM ", PASSWORD)

    assert (user.username, user.email) == ("writer", "writer@example.com")
    assert user.site.slug == "writer"
    assert user.site.title
    assert user.role == Role.USER
    assert not user.is_suspended
    assert user.password_hash != PASSWORD
    # Until its owner opens the link sent to the address and enters the password.
    assert not user.is_confirmed
    assert actions() == ["user.signup"]


@pytest.mark.parametrize("username", ["abc", "a" * 30, "a-b-c", "123", "x-1", "MiXeD"])
def test_usernames_are_3_to_30_of_a_to_z_digits_and_hyphens_lower_cased(username):
    assert accounts.check_username(username) == username.lower()


@pytest.mark.parametrize(
    "username",
    [
        "ab",
        "a" * 31,
        "",
        "two words",
        "under_score",
        "dot.name",
        "émile",
        "\u212aate",  # the Kelvin sign lower-cases to an ASCII k
        "ａｂｃ",  # full-width letters
        "tab\there",
        "admin",
        "ADMIN",
        "dashboard",
        "login",
        "logout",
        "signup",
        "sites",
        "static",
        "api",
        "healthz",
        "www",
        # Hyphens only between letters and digits: these could never be host names.
        "-ada",
        "ada-",
        "-ada-",
        "a--b",
        "xn--80ak6aa92e",
    ],
)
def test_bad_and_reserved_usernames_are_refused(username):
    with pytest.raises(RuleViolation) as refused:
        accounts.check_username(username)

    assert refused.value.field == "username"


@pytest.mark.parametrize("username", ["x", "admin"])
def test_sign_up_with_a_refused_username_creates_nothing(domain_app, username):
    with pytest.raises(RuleViolation) as refused:
        accounts.sign_up(username, "someone@example.com", PASSWORD)

    assert refused.value.field == "username"
    assert queries.platform_counts().users == 0


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [
        ("WRITER", "other@example.com", "username"),
        ("other", "WRITER@example.com", "email"),
    ],
)
def test_usernames_and_emails_are_unique_whatever_their_case(
    domain_app, writer, username, email, field
):
    with pytest.raises(RuleViolation) as refused:
        accounts.sign_up(username, email, PASSWORD)

    assert refused.value.field == field
    assert queries.platform_counts().users == 1


@pytest.mark.parametrize("email", ["no-at-sign", "x" * 250 + "@example.com"])
def test_sign_up_refuses_a_bad_email(domain_app, email):
    with pytest.raises(RuleViolation) as refused:
        accounts.sign_up("writer", email, PASSWORD)

    assert refused.value.field == "email"


@pytest.mark.parametrize(
    ("password", "accepted"),
    [("", False), ("seven77", False), ("eight888", True), ("x" * 128, True), ("x" * 129, False)],
)
def test_passwords_are_8_to_128_characters(password, accepted):
    if accepted:
        accounts.check_new_password(password)
    else:
        with pytest.raises(RuleViolation):
            accounts.check_new_password(password)


def test_sign_up_refuses_a_short_password_and_creates_nothing(domain_app):
    with pytest.raises(RuleViolation) as refused:
        accounts.sign_up("writer", "writer@example.com", "seven77")

    assert refused.value.field == "password"
    assert queries.platform_counts().users == 0


# --- signing in -------------------------------------------------------------------------


def test_authenticate_returns_the_user_for_the_right_password(writer):
    assert accounts.authenticate("writer@example.com", PASSWORD) == writer
    assert writer.last_login_at is not None


def test_authenticate_ignores_the_emails_case_and_surrounding_spaces(writer):
    assert accounts.authenticate("  WRITER@example.com ", PASSWORD) == writer


@pytest.mark.parametrize(
    ("email", "password"),
    [("writer@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)],
)
def test_authenticate_refuses_a_wrong_password_or_unknown_email_and_audits_it(
    writer, email, password
):
    assert accounts.authenticate(email, password) is None
    assert actions()[-1] == "user.login_failed"


def test_a_suspended_user_cannot_authenticate(writer, admin):
    accounts.suspend_user(admin, writer)

    assert accounts.authenticate("writer@example.com", PASSWORD) is None
    assert actions()[-1] == "user.login_failed"


# --- sessions and passwords -------------------------------------------------------------


def test_change_password_replaces_the_password_and_ends_other_sessions(writer):
    elsewhere = sessions.start_session(writer, remember=True)
    here = sessions.start_session(writer, remember=False)

    accounts.change_password(writer, PASSWORD, NEW_PASSWORD, keep_session=here)

    assert sessions.load_user_for_session(elsewhere) is None
    assert sessions.load_user_for_session(here) == writer
    assert accounts.authenticate("writer@example.com", PASSWORD) is None
    assert accounts.authenticate("writer@example.com", NEW_PASSWORD) == writer
    assert "user.password_changed" in actions()


def test_a_new_password_revokes_every_api_token_and_ends_pending_email_changes(writer):
    from shared_models import api_tokens, tokens

    script, secret = api_tokens.create_token(writer, "Script", "write")
    api_tokens.revoke_token(writer, api_tokens.create_token(writer, "Gone", "read")[0])
    change = tokens.make_token(tokens.CHANGE_EMAIL, writer, new_email="moved@example.com")

    revoked = accounts.change_password(writer, PASSWORD, NEW_PASSWORD)

    assert revoked == [script]
    assert api_tokens.authenticate(secret) is None
    assert [token.name for token in api_tokens.tokens_to_make_again(writer)] == ["Script"]
    assert actions().count("token.revoked") == 2  # the one revoked before, and this one
    with pytest.raises(accounts.BadLink) as dead:
        accounts.check_confirmation_link(change)
    assert dead.value.reason == "used"


def test_a_write_token_asks_for_the_password_and_a_read_token_does_not(writer):
    with pytest.raises(RuleViolation) as refused:
        accounts.create_api_token(writer, "Script", "write", "")
    assert refused.value.field == "current_password"
    with pytest.raises(RuleViolation):
        accounts.create_api_token(writer, "Script", "write", "wrong-password")
    assert actions()[-1] == "user.password_change_failed"

    assert accounts.create_api_token(writer, "Script", "write", PASSWORD)[0].scope == "write"
    assert accounts.create_api_token(writer, "Reader", "read", "")[0].scope == "read"


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [("wrong-password", NEW_PASSWORD, "current_password"), (PASSWORD, "short", "new_password")],
)
def test_change_password_refuses_a_wrong_current_or_short_new_password(writer, current, new, field):
    session = sessions.start_session(writer, remember=False)

    with pytest.raises(RuleViolation) as refused:
        accounts.change_password(writer, current, new)

    assert refused.value.field == field
    assert sessions.load_user_for_session(session) == writer
    assert "user.password_changed" not in actions()


def test_a_wrong_current_password_is_audited(writer):
    with pytest.raises(RuleViolation):
        accounts.change_password(writer, "wrong-password", NEW_PASSWORD)

    assert actions()[-1] == "user.password_change_failed"


def test_signing_out_other_sessions_keeps_this_one_and_is_audited(writer):
    others = [sessions.start_session(writer, remember=True) for _ in range(2)]
    here = sessions.start_session(writer, remember=False)

    assert accounts.sign_out_other_sessions(writer, here) == 2

    assert [sessions.load_user_for_session(other) for other in others] == [None, None]
    assert sessions.load_user_for_session(here) == writer
    assert actions()[-1] == "user.sessions_ended"


# --- suspension -------------------------------------------------------------------------


def test_suspending_ends_the_users_sessions_and_is_audited(writer, admin):
    session = sessions.start_session(writer, remember=True)

    accounts.suspend_user(admin, writer)

    assert writer.is_suspended
    assert not writer.is_active
    assert sessions.load_user_for_session(session) is None
    assert actions()[-1] == "user.suspended"


def test_suspending_twice_records_one_event(writer, admin):
    accounts.suspend_user(admin, writer)
    accounts.suspend_user(admin, writer)

    assert actions().count("user.suspended") == 1


def test_an_admin_cannot_suspend_themselves(admin):
    with pytest.raises(RuleViolation):
        accounts.suspend_user(admin, admin)

    assert not admin.is_suspended


def test_an_admin_cannot_suspend_another_admin(admin):
    other = accounts.sign_up("chief", "chief@example.com", PASSWORD)
    other.role = Role.ADMIN
    db.session.commit()

    with pytest.raises(RuleViolation):
        accounts.suspend_user(admin, other)

    assert not other.is_suspended
    assert "user.suspended" not in actions()


def test_reactivating_lets_the_user_sign_in_again_and_is_audited(writer, admin):
    accounts.suspend_user(admin, writer)

    accounts.reactivate_user(admin, writer)

    assert not writer.is_suspended
    assert accounts.authenticate("writer@example.com", PASSWORD) == writer
    assert "user.reactivated" in actions()


def test_reactivating_an_active_user_records_nothing(writer, admin):
    accounts.reactivate_user(admin, writer)

    assert "user.reactivated" not in actions()


# --- admins -----------------------------------------------------------------------------


def test_create_admin_creates_an_admin_with_a_site(domain_app):
    user, created = accounts.create_admin("chief@example.com", PASSWORD)

    assert created
    assert user.is_admin
    assert user.site is not None
    assert user.site.slug == user.username == "chief"
    assert actions() == ["user.signup", "user.promoted"]


def test_create_admin_promotes_an_existing_user_with_the_password_it_sets(writer):
    user, created = accounts.create_admin("Writer@Example.com", NEW_PASSWORD)

    assert not created
    assert user == writer
    assert writer.is_admin
    assert accounts.authenticate("writer@example.com", NEW_PASSWORD) == writer
    assert actions()[-1] == "user.promoted"


def test_promoting_never_leaves_the_old_password_or_its_sessions_working(writer):
    from shared_models import api_tokens

    # Someone signed up with the address an operator meant for a future admin.
    session = sessions.start_session(writer, remember=True)
    _, secret = api_tokens.create_token(writer, "Squatter's script", "write")

    accounts.create_admin("writer@example.com", NEW_PASSWORD)

    assert accounts.authenticate("writer@example.com", PASSWORD) is None
    assert sessions.load_user_for_session(session) is None
    assert api_tokens.authenticate(secret) is None


def test_promoting_a_suspended_user_reactivates_them(writer, admin):
    accounts.suspend_user(admin, writer)

    accounts.create_admin("writer@example.com", NEW_PASSWORD)

    assert writer.is_admin
    assert not writer.is_suspended


def test_promoting_an_admin_again_records_nothing(admin):
    accounts.create_admin("boss@example.com", NEW_PASSWORD)

    assert "user.promoted" not in actions()


@pytest.mark.parametrize("password", ["", "short"])
def test_create_admin_refuses_a_new_admin_without_a_good_password(domain_app, password):
    with pytest.raises(RuleViolation) as refused:
        accounts.create_admin("chief@example.com", password)

    assert refused.value.field == "password"
    assert queries.platform_counts().users == 0


@pytest.mark.parametrize("password", ["", "short"])
def test_create_admin_refuses_to_promote_with_a_bad_password(writer, password):
    with pytest.raises(RuleViolation):
        accounts.create_admin("writer@example.com", password)

    assert not writer.is_admin
    assert accounts.authenticate("writer@example.com", PASSWORD) == writer


def test_create_admin_derives_a_valid_username_from_any_email(domain_app):
    emails = [
        "admin@example.com",
        "a@example.com",
        "www@example.com",
        "x.y+z@example.com",
        "-a.-b--@example.com",
        "xn--abc@example.com",
    ]

    usernames = [accounts.create_admin(email, PASSWORD)[0].username for email in emails]

    for username in usernames:
        assert accounts.check_username(username) == username
    assert len(set(usernames)) == len(emails)


def test_create_admin_picks_a_free_username_when_the_obvious_one_is_taken(writer):
    user, created = accounts.create_admin("writer@elsewhere.example", PASSWORD)

    assert created
    assert user.username != "writer"
    assert db.session.get(User, writer.id).username == "writer"


def test_register_answers_a_username_taken_by_a_parallel_sign_up(domain_app, monkeypatch):
    # Both passed the checks; the other one committed first.
    accounts.register("writer", "writer@example.com", PASSWORD)
    monkeypatch.setattr(
        accounts, "_check_new_account", lambda *args: ("writer", "other@example.com")
    )

    with pytest.raises(RuleViolation, match="username is taken"):
        accounts.register("writer", "other@example.com", PASSWORD)
    assert db.session.execute(db.select(db.func.count(User.id))).scalar_one() == 1


# --- unconfirmed accounts expire -----------------------------------------------------------


def signed_up(username, hours_ago, now, confirmed=False):
    """An account made `hours_ago` before `now`, with a draft, a session and an API token."""
    user = accounts.sign_up(username, f"{username}@example.com", PASSWORD, confirmed=confirmed)
    publishing.create_post(user, f"{username}'s draft", "Not yet.", False)
    sessions.start_session(user, remember=False, user_agent="", address="")
    api_tokens.create_token(user, "script", "write")
    outbox.queue_email(EmailKind.CONFIRM_EMAIL, user.email, user)
    user.created_at = now - timedelta(hours=hours_ago)
    db.session.commit()
    return user


def test_unconfirmed_accounts_older_than_their_link_are_removed_with_all_they_hold(domain_app):
    now = utcnow()
    signed_up("stale", 48.01, now)
    signed_up("fresh", 47.99, now)
    signed_up("veteran", 24 * 400, now, confirmed=True)

    assert accounts.remove_stale_unconfirmed_accounts(now) == 1

    users = db.session.execute(db.select(User.username).order_by(User.username)).scalars()
    assert list(users) == ["fresh", "veteran"]
    for model in (Site, Post, UserSession, ApiToken, OutboundEmail):
        assert db.session.execute(db.select(db.func.count()).select_from(model)).scalar() == 2
    removal = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "user.removed_unconfirmed")
    ).scalar_one()
    assert (removal.actor, removal.target_type, removal.detail) == (None, "user", "stale")
    assert accounts.remove_stale_unconfirmed_accounts(now) == 0


def test_a_removed_accounts_username_and_address_are_free_to_sign_up_again(domain_app):
    now = utcnow()
    signed_up("stale", 49, now)
    accounts.remove_stale_unconfirmed_accounts(now)

    accounts.register("stale", "stale@example.com", PASSWORD)

    user = accounts.get_user_by_email("stale@example.com")
    assert (user.username, user.is_confirmed) == ("stale", False)
    kinds = db.session.execute(
        db.select(OutboundEmail.kind).where(OutboundEmail.to_address == "stale@example.com")
    ).scalars()
    assert list(kinds) == [EmailKind.CONFIRM_EMAIL]
