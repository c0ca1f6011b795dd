"""Sign-in and sign-up throttling: per client, per account, a styled 429, a shared store."""

import pytest

from shared_models import db
from shared_models.models import AuditEvent
from tests.support.apps import IDLE_BROKER_URL, make_app
from tests.support.clients import PASSWORD
from tests.support.machine import free_port
from tests.support.throttling import WRONG, assert_styled_429, smallest_amount


def fail_sign_in(client, email: str, address: str = "127.0.0.1"):
    return client.submit(
        "/login", {"email": email, "password": WRONG}, environ_base={"REMOTE_ADDR": address}
    )


def sign_in(client, email: str, address: str = "127.0.0.1"):
    return client.submit(
        "/login", {"email": email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": address}
    )


def assert_signed_out(client):
    assert client.get("/dashboard/").status_code == 302


@pytest.fixture
def writer(throttled_app):
    """A user of the throttled app; their email."""
    from shared_models import accounts

    with throttled_app.app_context():
        accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)
    return "writer@example.com"


def test_failed_sign_ins_from_one_client_are_throttled(throttled_app, writer):
    client = throttled_app.test_client()
    allowed = smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_CLIENT")
    # A different email each time, so only the per-client limit is in play.
    for attempt in range(allowed):
        assert fail_sign_in(client, f"guess{attempt}@example.com").status_code == 200
    # Even the right password is refused now: the client must wait.
    assert_styled_429(sign_in(client, writer))
    assert_signed_out(client)


def test_one_clients_failures_do_not_hold_back_another_client(throttled_app, writer):
    client = throttled_app.test_client()
    for attempt in range(smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_CLIENT")):
        fail_sign_in(client, f"guess{attempt}@example.com")
    assert fail_sign_in(client, "one-more@example.com").status_code == 429
    other = throttled_app.test_client()
    assert sign_in(other, writer, address="192.0.2.7").status_code == 302


def test_failed_sign_ins_for_one_account_are_throttled_from_any_address(throttled_app, writer):
    client = throttled_app.test_client()
    allowed = smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")
    # A new address for every guess, as a botnet would: only the account ties them together.
    for attempt in range(allowed):
        response = fail_sign_in(client, writer, address=f"198.51.100.{attempt + 1}")
        assert response.status_code == 200
    response = sign_in(throttled_app.test_client(), writer.upper(), address="203.0.113.9")
    assert_styled_429(response)
    # Other accounts are not affected.
    assert fail_sign_in(client, "someone-else@example.com", "203.0.113.9").status_code == 200


def test_unknown_and_known_accounts_are_throttled_alike(throttled_app, writer):
    client = throttled_app.test_client()
    allowed = smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")
    for email in (writer, "nobody@example.com"):
        for attempt in range(allowed):
            assert fail_sign_in(client, email, f"198.51.100.{attempt + 1}").status_code == 200
        assert fail_sign_in(client, email, "203.0.113.9").status_code == 429


def test_every_sign_in_counts_even_a_successful_one(throttled_app, writer):
    client = throttled_app.test_client()
    allowed = smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")
    for _ in range(allowed):
        assert sign_in(client, writer).status_code == 302
        client.submit("/logout")
    assert sign_in(client, writer).status_code == 429


def test_a_burst_of_parallel_guesses_cannot_outrun_the_limit(throttled_app, writer):
    """Counted before the password is checked: only the limit's worth of guesses are checked."""
    import threading

    allowed = smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")
    clients = [throttled_app.test_client() for _ in range(30)]
    for client in clients:
        client.csrf_token()  # fetched first, so the burst is only the guesses
    start, statuses = threading.Barrier(len(clients)), []

    def guess(number, client):
        start.wait(timeout=30)
        statuses.append(fail_sign_in(client, writer, f"198.51.100.{number + 1}").status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(statuses) == len(clients)
    assert statuses.count(200) == allowed
    assert statuses.count(429) == len(clients) - allowed
    with throttled_app.app_context():
        failures = db.session.execute(
            db.select(db.func.count()).where(AuditEvent.action == "user.login_failed")
        ).scalar_one()
    assert failures == allowed


def test_showing_the_sign_in_form_is_never_throttled(throttled_app):
    client = throttled_app.test_client()
    for attempt in range(smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_CLIENT")):
        fail_sign_in(client, f"guess{attempt}@example.com")
    assert client.get("/login").status_code == 200


def test_sign_ups_from_one_client_are_throttled(throttled_app):
    from shared_models.queries import platform_counts

    allowed = smallest_amount(throttled_app, "SIGNUP_RATE_LIMIT_PER_CLIENT")
    for n in range(allowed):
        client = throttled_app.test_client()
        response = client.submit(
            "/signup",
            {"username": f"writer-{n}", "email": f"w{n}@example.com", "password": PASSWORD},
        )
        assert response.status_code == 302
    client = throttled_app.test_client()
    response = client.submit(
        "/signup", {"username": "one-too-many", "email": "late@example.com", "password": PASSWORD}
    )
    assert_styled_429(response)
    with throttled_app.app_context():
        assert platform_counts().users == allowed
    # Another address may still sign up.
    response = client.submit(
        "/signup",
        {"username": "elsewhere", "email": "else@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    assert response.status_code == 302


def test_limit_values_come_from_config(layout, database_url):
    app = make_app(
        layout, database_url, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT_PER_ACCOUNT="2/hour"
    )
    client = app.test_client()
    assert fail_sign_in(client, "x@example.com", "192.0.2.1").status_code == 200
    assert fail_sign_in(client, "x@example.com", "192.0.2.2").status_code == 200
    assert fail_sign_in(client, "x@example.com", "192.0.2.3").status_code == 429
    with app.app_context():
        db.engine.dispose()


def test_limits_count_a_moving_window_not_one_that_restarts_on_the_hour(throttled_app):
    from shared_web.throttling import EXTENSION

    with throttled_app.app_context():
        limiter = throttled_app.extensions[EXTENSION]
        assert type(limiter.limiter).__name__ == "MovingWindowRateLimiter"


def test_throttling_can_be_switched_off(layout, database_url, monkeypatch):
    monkeypatch.setenv("RATELIMIT_ENABLED", "false")
    app = make_app(layout, database_url)
    client = app.test_client()
    assert app.config["RATELIMIT_ENABLED"] is False
    for _ in range(smallest_amount(app, "LOGIN_RATE_LIMIT_PER_CLIENT") + 1):
        assert fail_sign_in(client, "x@example.com").status_code == 200
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("environment", ["development", "production"])
def test_throttling_is_on_by_default_in_development_and_production(
    environment, layout, database_url, monkeypatch
):
    for name in ("RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    # A fast hash keeps the test quick; the throttling is what is under test.
    app = make_app(
        layout,
        database_url,
        APP_ENV=environment,
        PUBLIC_URL="http://localhost",
        CELERY_BROKER_URL=IDLE_BROKER_URL if environment == "production" else None,
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    assert app.config["RATELIMIT_ENABLED"] is True
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    client = app.test_client()
    for attempt in range(smallest_amount(app, "LOGIN_RATE_LIMIT_PER_CLIENT")):
        assert fail_sign_in(client, f"guess{attempt}@example.com").status_code == 200
    assert_styled_429(fail_sign_in(client, "last@example.com"))
    with app.app_context():
        db.engine.dispose()


def test_behind_the_proxy_each_visitor_is_counted_by_their_own_address(
    layout, database_url, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = make_app(
        layout,
        database_url,
        APP_ENV="production",
        PUBLIC_URL="http://localhost",
        CELERY_BROKER_URL=IDLE_BROKER_URL,
        RATELIMIT_ENABLED=True,
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    client = app.test_client()
    # Every request comes from nginx on 127.0.0.1; X-Forwarded-For names the visitor.
    visitor = {"X-Forwarded-For": "198.51.100.1"}
    for attempt in range(smallest_amount(app, "LOGIN_RATE_LIMIT_PER_CLIENT")):
        response = client.submit(
            "/login", {"email": f"g{attempt}@example.com", "password": WRONG}, headers=visitor
        )
        assert response.status_code == 200
    blocked = client.submit(
        "/login", {"email": "g@example.com", "password": WRONG}, headers=visitor
    )
    assert blocked.status_code == 429
    another_visitor = {"X-Forwarded-For": "198.51.100.2"}
    response = client.submit(
        "/login", {"email": "g@example.com", "password": WRONG}, headers=another_visitor
    )
    assert response.status_code == 200
    with app.app_context():
        db.engine.dispose()


def run_out_the_account_limit(app, email: str) -> None:
    client = app.test_client()
    for attempt in range(smallest_amount(app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")):
        assert fail_sign_in(client, email, f"198.51.100.{attempt + 1}").status_code == 200


def test_counts_kept_in_redis_hold_across_workers(layout, database_url, redis_url):
    import redis

    first = make_app(layout, database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url)
    run_out_the_account_limit(first, "writer@example.com")
    keys = redis.Redis.from_url(redis_url).keys("*")
    assert any(b"inkpot/account:writer@example.com" in key for key in keys), keys
    # A second worker (here: a second app, which brings a new storage connection)
    # sees the same counts.
    second = make_app(layout, database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=redis_url)
    assert_styled_429(fail_sign_in(second.test_client(), "writer@example.com", "203.0.113.9"))
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_in_memory_counts_are_per_worker(layout, database_url):
    # The reason production points RATELIMIT_STORAGE_URI at Redis, and the proof
    # that the Redis test above is not passing on counts kept in memory.
    first = make_app(layout, database_url, RATELIMIT_ENABLED=True)
    run_out_the_account_limit(first, "writer@example.com")
    second = make_app(layout, database_url, RATELIMIT_ENABLED=True)
    response = fail_sign_in(second.test_client(), "writer@example.com", "203.0.113.9")
    assert response.status_code == 200
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_an_unreachable_redis_falls_back_to_counting_in_memory(layout, database_url):
    nothing_listens = f"redis://127.0.0.1:{free_port()}/0"
    app = make_app(
        layout, database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=nothing_listens
    )
    client = app.test_client()
    for attempt in range(smallest_amount(app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")):
        assert (
            fail_sign_in(client, "writer@example.com", f"198.51.100.{attempt}").status_code == 200
        )
    assert fail_sign_in(client, "writer@example.com", "203.0.113.9").status_code == 429
    with app.app_context():
        db.engine.dispose()


def other_app_settings(other: str) -> dict:
    return {
        "switched-off": {"RATELIMIT_ENABLED": False},
        "counting-in-memory": {"RATELIMIT_ENABLED": True},
        "redis-down": {
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0",
        },
    }[other]


@pytest.mark.parametrize("other", ["switched-off", "counting-in-memory", "redis-down"])
def test_another_app_in_the_process_leaves_an_apps_counts_alone(layout, database_url, other):
    """Apps built in one process (a test run, a script) share no throttling state."""
    app = make_app(layout, database_url, RATELIMIT_ENABLED=True)
    run_out_the_account_limit(app, "writer@example.com")
    other_app = make_app(layout, database_url, **other_app_settings(other))
    # Used once: an app whose Redis is down starts counting in memory.
    fail_sign_in(other_app.test_client(), "someone@example.com")
    assert_styled_429(fail_sign_in(app.test_client(), "writer@example.com", "203.0.113.9"))
    for each in (app, other_app):
        with each.app_context():
            db.engine.dispose()


def test_password_change_guesses_are_throttled_and_audited(throttled_app, writer):
    """A stolen session must not become a way to guess the password behind it."""
    client = throttled_app.test_client()
    assert sign_in(client, writer).status_code == 302
    allowed = smallest_amount(throttled_app, "PASSWORD_CHANGE_RATE_LIMIT")
    guess = {"current_password": WRONG, "new_password": "a-new-password-1"}
    for _ in range(allowed):
        assert client.submit("/dashboard/account", guess).status_code == 200
    assert_styled_429(client.submit("/dashboard/account", guess))
    # The right password is refused too until the window passes.
    right = {"current_password": PASSWORD, "new_password": "a-new-password-1"}
    assert client.submit("/dashboard/account", right).status_code == 429
    with throttled_app.app_context():
        failures = db.session.execute(
            db.select(db.func.count()).where(AuditEvent.action == "user.password_change_failed")
        ).scalar_one()
    assert failures == allowed


def test_password_change_guesses_count_per_account_from_any_address(throttled_app, writer):
    signed_in = throttled_app.test_client()
    assert sign_in(signed_in, writer).status_code == 302
    cookie = signed_in.get_cookie(throttled_app.config["SESSION_COOKIE_NAME"]).value
    allowed = smallest_amount(throttled_app, "PASSWORD_CHANGE_RATE_LIMIT")
    guess = {"current_password": WRONG, "new_password": "a-new-password-1"}

    def guess_from(address: str):
        # The same session, used from a new address each time, as a botnet would.
        client = throttled_app.test_client()
        client.set_cookie(throttled_app.config["SESSION_COOKIE_NAME"], cookie)
        return client.submit("/dashboard/account", guess, environ_base={"REMOTE_ADDR": address})

    for number in range(allowed):
        assert guess_from(f"198.51.100.{number + 1}").status_code == 200
    assert guess_from("203.0.113.50").status_code == 429


def test_the_email_change_form_shares_the_password_guess_budget(throttled_app, writer):
    """Moving between the two forms that check the current password buys no extra guesses."""
    client = throttled_app.test_client()
    assert sign_in(client, writer).status_code == 302
    allowed = smallest_amount(throttled_app, "PASSWORD_CHANGE_RATE_LIMIT")
    guess = {"current_password": WRONG, "new_password": "a-new-password-1"}
    for number in range(allowed):
        if number % 2:
            response = client.submit("/dashboard/account", guess)
        else:
            response = client.submit(
                "/dashboard/account/email",
                {"new_email": f"new-{number}@example.com", "current_password": WRONG},
            )
        assert response.status_code == 200
    assert_styled_429(
        client.submit(
            "/dashboard/account/email",
            {"new_email": "last@example.com", "current_password": PASSWORD},
        )
    )


def test_a_thiefs_wrong_passwords_never_keep_the_owner_from_signing_out_everywhere_else(
    throttled_app, writer
):
    """Ending the other sessions checks no password: the guess budget never blocks it."""
    thief, owner = throttled_app.test_client(), throttled_app.test_client()
    assert sign_in(thief, writer, address="203.0.113.66").status_code == 302
    assert sign_in(owner, writer).status_code == 302
    guess = {"current_password": WRONG, "new_password": "a-new-password-1"}
    for _ in range(smallest_amount(throttled_app, "PASSWORD_CHANGE_RATE_LIMIT")):
        thief.submit("/dashboard/account", guess, environ_base={"REMOTE_ADDR": "203.0.113.66"})
    assert thief.submit("/dashboard/account", guess).status_code == 429

    response = owner.submit("/dashboard/account", {"sign_out_others": "y"})

    assert response.status_code == 302
    assert owner.get("/dashboard/").status_code == 200
    assert_signed_out(thief)


@pytest.fixture
def confirmation_link(throttled_app):
    """The path of the confirmation link of a new, unconfirmed account `newcomer`."""
    from shared_models import accounts, tokens

    with throttled_app.app_context():
        user = accounts.sign_up("newcomer", "newcomer@example.com", PASSWORD)
        return f"/confirm/{tokens.make_token(tokens.CONFIRM_EMAIL, user)}"


def test_wrong_passwords_at_a_confirmation_link_are_throttled_like_sign_ins(
    throttled_app, confirmation_link
):
    client = throttled_app.test_client()
    allowed = smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")
    for attempt in range(allowed):
        guess = client.submit(
            confirmation_link,
            {"password": WRONG},
            environ_base={"REMOTE_ADDR": f"198.51.100.{attempt + 1}"},
        )
        assert guess.status_code == 200
    right = throttled_app.test_client().submit(
        confirmation_link, {"password": PASSWORD}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert_styled_429(right)
    # Opening the link is never throttled, and it still changes nothing.
    assert client.get(confirmation_link).status_code == 200
    assert_signed_out(client)


def test_sign_ins_and_confirmation_links_share_one_budget_per_account(
    throttled_app, confirmation_link
):
    client = throttled_app.test_client()
    allowed = smallest_amount(throttled_app, "LOGIN_RATE_LIMIT_PER_ACCOUNT")
    for attempt in range(allowed):
        address = f"198.51.100.{attempt + 1}"
        if attempt % 2:
            response = fail_sign_in(client, "newcomer@example.com", address)
        else:
            response = client.submit(
                confirmation_link, {"password": WRONG}, environ_base={"REMOTE_ADDR": address}
            )
        assert response.status_code == 200
    assert fail_sign_in(client, "newcomer@example.com", "203.0.113.9").status_code == 429
    assert client.submit(confirmation_link, {"password": PASSWORD}).status_code == 429


def test_the_token_form_shares_the_password_guess_budget(throttled_app, writer):
    client = throttled_app.test_client()
    assert sign_in(client, writer).status_code == 302
    allowed = smallest_amount(throttled_app, "PASSWORD_CHANGE_RATE_LIMIT")
    write_token = {"name": "Script", "scope": "write", "current_password": WRONG}
    for number in range(allowed):
        if number % 2:
            response = client.submit("/dashboard/tokens", write_token)
        else:
            guess = {"current_password": WRONG, "new_password": "a-new-password-1"}
            response = client.submit("/dashboard/account", guess)
        assert response.status_code == 200
    assert_styled_429(
        client.submit("/dashboard/tokens", {**write_token, "current_password": PASSWORD})
    )
    # A read token asks for no password, so it is neither counted nor held back.
    read_token = client.submit("/dashboard/tokens", {"name": "Reader", "scope": "read"})
    assert read_token.status_code == 200
