"""The links in emails: signed tokens for one purpose, once, for a while; always on PUBLIC_URL."""

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from shared_models import db, tokens
from shared_models.models import User
from tests.support.apps import IDLE_BROKER_URL, make_app
from tests.support.clients import PASSWORD, AuthActions, csrf_token_in
from tests.support.mail import Outbox
from tests.support.pages import main_text


@pytest.fixture
def later(monkeypatch):
    """`later(hours)`: from now on, tokens are read as if that much time had passed."""

    def move(hours: float):
        now = time.time() + hours * 3600
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(now))

    return move


@pytest.fixture
def links(client, app, make_user):
    """One live link of each kind, all for the user `writer`: {purpose: path}."""
    make_user("writer")
    make_user("newcomer", confirmed=False)
    mailbox = Outbox.of(app)
    client.submit("/confirm/resend", {"email": "newcomer@example.com"})
    client.submit("/password/forgot", {"email": "writer@example.com"})
    signed_in = app.test_client()
    AuthActions(signed_in).login()
    signed_in.submit(
        "/dashboard/account/email",
        {"new_email": "writer.new@example.com", "current_password": PASSWORD},
    )
    return {
        "confirm": mailbox.last(to="newcomer@example.com").path("/confirm/"),
        "reset": mailbox.last(to="writer@example.com").path("/password/reset/"),
        "change": mailbox.last(to="writer.new@example.com").path("/confirm/"),
    }


def token_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


@pytest.mark.parametrize(
    ("purpose", "hours_that_still_work", "hours_too_many"),
    [("confirm", 47.9, 48.1), ("reset", 0.9, 1.1), ("change", 23.9, 24.1)],
)
def test_links_expire(client, links, later, purpose, hours_that_still_work, hours_too_many):
    later(hours_too_many)
    expired = client.get(links[purpose])
    assert expired.status_code == 400
    assert "This link has expired" in main_text(expired)
    later(hours_that_still_work)
    assert client.get(links[purpose]).status_code in (200, 302)


@pytest.mark.parametrize("purpose", ["confirm", "reset", "change"])
def test_a_tampered_token_opens_nothing(client, links, purpose):
    path = links[purpose]
    token = token_of(path)
    payload, _, signature = token.partition(".")
    for forged in (
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # another signature
        token[:-10],  # cut short, as some mail apps do
        "not-a-token",
        payload.swapcase() + "." + signature,
    ):
        response = client.get(path.removesuffix(token) + forged)
        assert response.status_code == 400, forged
        assert "This link doesn't work" in main_text(response)


def test_a_token_signed_with_another_key_opens_nothing(client, app):
    with app.app_context():
        user = User(id=1)
        forged = URLSafeTimedSerializer("an attacker's key", salt="inkpot.reset-password").dumps(
            {"user": user.id, "state": "0" * 32}
        )
    assert client.get(f"/password/reset/{forged}").status_code == 400
    assert client.get(f"/confirm/{forged}").status_code == 400


def test_no_token_works_for_another_purpose(client, links, find_user):
    # A confirmation link cannot reset a password, nor a reset link confirm an address.
    assert client.get("/password/reset/" + token_of(links["confirm"])).status_code == 400
    assert client.get("/password/reset/" + token_of(links["change"])).status_code == 400
    assert client.get("/confirm/" + token_of(links["reset"])).status_code == 400
    assert not find_user("newcomer").is_confirmed
    assert find_user("writer").email == "writer@example.com"


def test_opening_a_link_changes_nothing(client, links, find_user, audit_events):
    before = audit_events()
    for _ in range(2):
        for path in links.values():
            assert client.get(path).status_code == 200

    assert not find_user("newcomer").is_confirmed
    assert find_user("writer").email == "writer@example.com"
    assert AuthActions(client).login().status_code == 302  # the password is unchanged
    assert audit_events() == before


def test_every_link_works_once(client, links):
    assert client.submit(links["confirm"], {"password": PASSWORD}).status_code == 302
    assert client.submit(links["change"], {"password": PASSWORD}).status_code == 302
    assert client.submit(links["reset"], {"new_password": "a-new-passphrase"}).status_code == 302
    for purpose, path in links.items():
        again = client.get(path)
        assert again.status_code == 400, purpose
        assert "This link has been used already" in main_text(again)


def test_a_token_carries_no_secret_and_is_bound_to_the_state_it_changes(app, make_user):
    make_user("writer")
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == "writer")).scalar_one()
        token = tokens.make_token(tokens.RESET_PASSWORD, user)
        payload = URLSafeTimedSerializer(app.config["SECRET_KEY"]).loads(
            token, salt="inkpot.reset-password"
        )
        assert set(payload) == {"user", "state"}
        assert user.password_hash not in token and user.password_hash not in str(payload)
        db.session.remove()


# --- links name PUBLIC_URL, whatever Host the request named -------------------------------


def mailed_links(app, host: str, headers=None) -> list[str]:
    """The links of the reset email asked for by a browser on `host`."""
    client, where = app.test_client(), {"base_url": f"http://{host}", "headers": headers or {}}
    token = csrf_token_in(client.get("/password/forgot", **where).get_data(as_text=True))
    fields = {"csrf_token": token, "email": "writer@example.com"}
    assert client.post("/password/forgot", data=fields, **where).status_code == 302
    return Outbox.of(app).last(to="writer@example.com").links()


@pytest.mark.parametrize("environment", ["development", "testing", "production"])
def test_links_in_emails_come_from_public_url_never_from_the_host_header(
    layout, database_url, environment, monkeypatch
):
    monkeypatch.setenv("SECRET_KEY", "k" * 64)
    app = make_app(
        layout,
        database_url,
        APP_ENV=environment,
        PUBLIC_URL="https://inkpot.example.com",
        # A second name the site answers to, so the forged one gets past the host check.
        TRUSTED_HOSTS=["inkpot.example.com", "www.inkpot.example.com"],
        CELERY_BROKER_URL=IDLE_BROKER_URL if environment == "production" else None,
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    from shared_models import accounts

    with app.app_context():
        accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)
    if environment == "production":
        # No broker listens: the email waits in the outbox; send it as the relay would.
        app.extensions["celery"].conf.task_always_eager = True
    # Behind the proxy (production) the forwarded host is the one that counts.
    forwarded = {"X-Forwarded-Host": "www.inkpot.example.com", "X-Forwarded-Proto": "http"}
    links = mailed_links(app, "www.inkpot.example.com", forwarded)

    assert links
    assert all(link.startswith("https://inkpot.example.com/") for link in links), links
    with app.app_context():
        db.engine.dispose()


def test_in_development_without_public_url_links_name_the_dev_server(layout, database_url):
    app = make_app(layout, database_url, APP_ENV="development", PUBLIC_URL=None)
    from shared_models import accounts

    with app.app_context():
        accounts.sign_up("writer", "writer@example.com", PASSWORD, confirmed=True)
    links = mailed_links(app, "127.0.0.1:5001")

    assert all(link.startswith("http://127.0.0.1:5001/") for link in links), links
    with app.app_context():
        db.engine.dispose()


def test_a_confirmation_link_for_a_confirmed_address_opens_nothing(client, app, make_user):
    # A late resend renders its token after the address was confirmed: it must not
    # become a link that signs in again and again.
    make_user("writer")
    with app.app_context():
        user = db.session.execute(db.select(User).where(User.username == "writer")).scalar_one()
        token = tokens.make_token(tokens.CONFIRM_EMAIL, user)
        db.session.remove()

    response = client.get(f"/confirm/{token}")

    assert response.status_code == 400
    assert client.get("/dashboard/").status_code == 302
