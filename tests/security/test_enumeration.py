"""No form tells anybody which emails have accounts: same answer, same hashing, same emails queued.

Signing in, signing up, asking for a password reset or a confirmation link, and
moving an account to another address all answer a registered address exactly as
an unknown one (status, headers, page), and do the same expensive work on both
paths, counted here rather than timed.
"""

import pytest
from werkzeug import security

from shared_models import accounts
from tests.support.clients import PASSWORD
from tests.support.pages import without_csrf_tokens


@pytest.fixture
def hashing(monkeypatch):
    """Record every password check and hash the sign-in makes, as (function, hash method)."""
    calls = []
    check, generate = security.check_password_hash, security.generate_password_hash

    def counted_check(pwhash, password):
        calls.append(("check", pwhash.partition("$")[0]))
        return check(pwhash, password)

    def counted_generate(password, *args, **kwargs):
        calls.append(("generate", kwargs.get("method", args[0] if args else "")))
        return generate(password, *args, **kwargs)

    monkeypatch.setattr(accounts, "check_password_hash", counted_check)
    monkeypatch.setattr(accounts, "generate_password_hash", counted_generate)
    return calls


def answer(client, email, password):
    """Status and page of a sign-in attempt, with what legitimately differs blanked out."""
    response = client.submit("/login", {"email": email, "password": password})
    page = response.get_data(as_text=True).replace(email, "EMAIL")
    page = without_csrf_tokens(page)
    return response.status_code, page


def test_wrong_password_unknown_email_and_suspended_account_get_the_same_answer(client, make_user):
    make_user("writer")
    make_user("gone", suspended=True)
    wrong_password = answer(client, "writer@example.com", "not-the-password")
    unknown_email = answer(client, "nobody@example.com", "not-the-password")
    suspended = answer(client, "gone@example.com", "correct-horse-battery")
    assert wrong_password[0] == 200
    assert "don&#39;t match an active account" in wrong_password[1]
    assert unknown_email == wrong_password
    assert suspended == wrong_password


def test_every_failed_sign_in_does_the_same_hashing_work(client, make_user, hashing):
    make_user("writer")
    make_user("gone", suspended=True)
    work = {}
    for case, email, password in [
        ("wrong password", "writer@example.com", "not-the-password"),
        ("unknown email", "nobody@example.com", "not-the-password"),
        ("another unknown email", "nobody-else@example.com", "not-the-password"),
        ("suspended", "gone@example.com", "correct-horse-battery"),
    ]:
        hashing.clear()
        assert client.submit("/login", {"email": email, "password": password}).status_code == 200
        work[case] = list(hashing)
    # One check of one hash made the same way (same algorithm and cost), and nothing else.
    assert work["wrong password"] == [("check", "pbkdf2:sha256:1000")]
    assert all(calls == work["wrong password"] for calls in work.values()), work


# --- forms that email an address: the same answer and the same work, account or not ---------


@pytest.fixture
def enqueued(app, monkeypatch):
    """The outbox emails handed to the worker's queue while the test runs (their ids)."""
    from shared_web.background import SEND_EMAIL

    task = app.extensions["celery"].tasks[SEND_EMAIL]
    calls, apply_async = [], task.apply_async

    def counted(args=None, *more, **options):
        calls.append(args)
        return apply_async(args, *more, **options)

    monkeypatch.setattr(task, "apply_async", counted)
    return calls


def normalized_headers(response) -> list[tuple[str, str]]:
    """Every header; cookie values (signed, never twice the same) and the request id blanked."""
    headers = []
    for name, value in response.headers.items():
        if name == "X-Request-ID":
            # Every request has its own id, whatever it asked.
            value = "ID"
        elif name == "Set-Cookie":
            cookie, _, attributes = value.partition(";")
            value = cookie.partition("=")[0] + "=VALUE;" + attributes
        headers.append((name, value))
    return sorted(headers)


def full_answer(client, url, fields, typed_email):
    """A form's answer (status, headers, body) and the page it leads to, the address blanked."""
    response = client.submit(url, fields)
    page = client.get(response.headers["Location"]) if response.status_code == 302 else response

    def blank(text: str) -> str:
        return without_csrf_tokens(text.replace(typed_email, "EMAIL"))

    return (
        response.status_code,
        normalized_headers(response),
        blank(response.get_data(as_text=True)),
        page.status_code,
        blank(page.get_data(as_text=True)),
    )


def work_done(hashing, enqueued, action):
    """The hashing calls and queued emails of one action, and its answer."""
    hashing.clear()
    enqueued.clear()
    answer = action()
    return answer, list(hashing), len(enqueued)


def test_sign_up_answers_a_registered_address_as_a_new_one_with_the_same_work(
    app, make_user, hashing, enqueued
):
    make_user("writer")
    cases = {}
    for case, username, email in [
        ("new address", "first-newcomer", "new@example.com"),
        ("registered address", "other-newcomer", "writer@example.com"),
    ]:
        fields = {"username": username, "email": email, "password": "correct-horse-battery"}
        cases[case] = work_done(
            hashing,
            enqueued,
            lambda fields=fields, email=email: full_answer(
                app.test_client(), "/signup", fields, email
            ),
        )
    new, registered = cases["new address"], cases["registered address"]
    assert new[0][0] == 302
    assert registered[0] == new[0]
    # One password hashed, made the same way; one email queued (a link, or the owner's note).
    assert new[1] == registered[1] == [("generate", "pbkdf2:sha256:1000")]
    assert new[2] == registered[2] == 1


@pytest.mark.parametrize(
    ("url", "accounts_to_compare"),
    [
        ("/password/forgot", ["confirmed", "unconfirmed", None]),
        ("/confirm/resend", ["confirmed", "unconfirmed", None]),
    ],
)
def test_forms_that_email_a_link_answer_every_address_alike_with_the_same_work(
    app, make_user, hashing, enqueued, url, accounts_to_compare
):
    make_user("confirmed", email="confirmed@example.com")
    make_user("unconfirmed", email="unconfirmed@example.com", confirmed=False)
    answers = {}
    for account in accounts_to_compare:
        email = f"{account or 'nobody'}@example.com"
        answers[account] = work_done(
            hashing,
            enqueued,
            lambda email=email: full_answer(app.test_client(), url, {"email": email}, email),
        )
    first = answers[accounts_to_compare[0]]
    assert first[0][0] == 302
    for account, answer in answers.items():
        assert answer == first, account
    assert first[1] == []  # no password is involved
    assert first[2] == 1


def test_email_change_answers_a_taken_address_as_a_free_one_with_the_same_work(
    app, make_user, hashing, enqueued
):
    make_user("writer")
    make_user("holder", email="taken@example.com")
    client = app.test_client()
    assert (
        client.submit("/login", {"email": "writer@example.com", "password": PASSWORD}).status_code
        == 302
    )
    answers = {}
    for case, address in [("free", "free@example.com"), ("taken", "taken@example.com")]:
        fields = {"new_email": address, "current_password": PASSWORD}
        answers[case] = work_done(
            hashing,
            enqueued,
            lambda fields=fields, address=address: full_answer(
                client, "/dashboard/account/email", fields, address
            ),
        )
    assert answers["free"][0][0] == 302
    assert answers["taken"] == answers["free"]
    assert answers["free"][1] == [("check", "pbkdf2:sha256:1000")]
    assert answers["free"][2] == 1
