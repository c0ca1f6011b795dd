"""The forms that send email: no inbox flooded, no client mailing many inboxes."""

from shared_models import db
from tests.support.apps import make_app
from tests.support.clients import PASSWORD
from tests.support.throttling import assert_styled_429, smallest_amount


def ask_for_mail(client, url: str, address: str, client_address: str = "127.0.0.1"):
    field = "new_email" if url == "/dashboard/account/email" else "email"
    fields = {field: address}
    if url == "/dashboard/account/email":
        fields["current_password"] = PASSWORD
    return client.submit(url, fields, environ_base={"REMOTE_ADDR": client_address})


def emails_to(app, address: str) -> int:
    from tests.support.mail import Outbox

    return len(Outbox.of(app).emails(to=address))


def test_one_inbox_cannot_be_flooded_by_switching_forms_or_clients(throttled_app):
    allowed = smallest_amount(throttled_app, "MAIL_RATE_LIMIT_PER_ADDRESS")
    client = throttled_app.test_client()
    forms = ["/password/forgot", "/confirm/resend"]
    # Each request from a new address, alternating forms: only the mailbox ties them together.
    for number in range(allowed):
        response = ask_for_mail(
            client, forms[number % 2], "victim@example.com", f"198.51.100.{number + 1}"
        )
        assert response.status_code == 302
    for url in forms:
        assert_styled_429(ask_for_mail(client, url, "victim@example.com", "203.0.113.9"))
    # Sign-up for that address counts too.
    signup = {"username": "newcomer", "email": "victim@example.com", "password": PASSWORD}
    assert (
        client.submit("/signup", signup, environ_base={"REMOTE_ADDR": "203.0.113.10"}).status_code
        == 429
    )
    assert emails_to(throttled_app, "victim@example.com") == allowed
    # Another inbox is not affected.
    assert (
        ask_for_mail(client, "/password/forgot", "other@example.com", "203.0.113.9").status_code
        == 302
    )


def test_one_client_cannot_mail_many_inboxes(layout, database_url):
    app = make_app(
        layout, database_url, RATELIMIT_ENABLED=True, MAIL_RATE_LIMIT_PER_CLIENT="3/hour"
    )
    client = app.test_client()
    for number in range(3):
        url = ["/password/forgot", "/confirm/resend"][number % 2]
        assert ask_for_mail(client, url, f"person-{number}@example.com").status_code == 302
    assert ask_for_mail(client, "/password/forgot", "one-more@example.com").status_code == 429
    assert (
        ask_for_mail(client, "/password/forgot", "one-more@example.com", "192.0.2.8").status_code
        == 302
    )
    with app.app_context():
        db.engine.dispose()


def test_a_burst_of_parallel_requests_cannot_outrun_the_mail_limit(throttled_app):
    """Counted before the work: only the limit's worth of emails are queued."""
    import threading

    allowed = smallest_amount(throttled_app, "MAIL_RATE_LIMIT_PER_ADDRESS")
    clients = [throttled_app.test_client() for _ in range(20)]
    for client in clients:
        client.csrf_token()
    start, statuses = threading.Barrier(len(clients)), []

    def ask(number, client):
        start.wait(timeout=30)
        response = ask_for_mail(
            client, "/password/forgot", "victim@example.com", f"198.51.100.{number + 1}"
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=ask, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [302] * allowed + [429] * (len(clients) - allowed)
    assert emails_to(throttled_app, "victim@example.com") == allowed
