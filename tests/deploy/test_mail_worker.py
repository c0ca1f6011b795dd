"""Email through the real parts: nginx → gunicorn → outbox → Redis → Celery worker → SMTP.

The stack's SMTP sink (deploy/smtp_sink.py) keeps what it accepts as files, and
refuses or stalls on demand, so these tests can play a mail server in trouble,
kill the worker mid-send and stop the broker, and check that every email still
arrives, once, with links to PUBLIC_URL.
"""

import os
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pytest

from deploy import LAYOUTS
from deploy.processes import wait_until
from tests.deploy.stacks import MAIL_TIMEOUT, Visitor, start_stack
from tests.support.clients import csrf_token_in
from tests.support.mail import Outbox

pytestmark = pytest.mark.slow

# Short waits, so a test sees retries and relays within seconds: a first retry after
# 1 s, an email held by a dead worker relayed 10 s after it was taken, a relay every second.
MAIL_SETTINGS = {
    "MAIL_TIMEOUT": "1",
    "MAIL_RETRY_DELAY": "1",
    "OUTBOX_RELAY_AFTER": "10",
    "OUTBOX_RELAY_INTERVAL": "1",
}


@pytest.fixture(scope="module", params=LAYOUTS)
def stack(request, tmp_path_factory):
    running = start_stack(
        request.param, tmp_path_factory.mktemp(f"mail-{request.param}"), settings=MAIL_SETTINGS
    )
    try:
        yield running
    finally:
        running.stop(graceful=False)


def visitor_of(stack) -> Visitor:
    return Visitor(stack.url, mailbox=stack.config.mail_dir)


def outbox_rows(stack, address: str) -> list[tuple[str, int, str | None]]:
    """(status, attempts, relay_after) of each outbox email to the address, from the database."""
    with sqlite3.connect(stack.config.run_dir / "inkpot.sqlite3") as connection:
        return connection.execute(
            "SELECT status, attempts, relay_after FROM outbound_emails WHERE to_address = ?",
            (address,),
        ).fetchall()


def sink_log(stack) -> str:
    return stack.read_log("smtp-sink-output.log")


def test_a_sign_up_through_nginx_is_confirmed_by_the_email_the_worker_sends(stack):
    visitor = visitor_of(stack)
    answer = visitor.sign_up("mailed", confirm=False)
    assert answer.headers["Location"].endswith("/confirm/resend")

    email = visitor.wait_for_email("mailed@example.com")
    # It came over SMTP, from the worker, with both parts.
    assert "Kept a message to mailed@example.com" in sink_log(stack)
    assert "Sent email" in stack.read_log("inkpot-worker.log")
    assert email.subject == "Confirm your email address for Inkpot"
    assert "mailed" in email.text and "mailed" in email.html
    link = email.link("/confirm/")
    assert link.startswith(f"{stack.url}/confirm/")
    assert link in email.html

    # Opening it asks for the password and changes nothing; the password confirms.
    assert visitor.get(urlsplit(link).path).status == 200
    assert visitor.get("/sites/mailed/").status == 404
    confirmed = visitor.confirm(urlsplit(link).path)
    assert confirmed.headers["Location"].endswith("/dashboard/")
    assert "Welcome to Inkpot!" in visitor.get("/dashboard/").text
    assert visitor.get("/sites/mailed/").status == 200
    assert outbox_rows(stack, "mailed@example.com") == [("sent", 1, None)]


def test_a_refusing_mail_server_gets_the_email_once_it_recovers(stack):
    refuse = stack.config.mail_dir / "refuse"
    refused_before = sink_log(stack).count("Refused a delivery")
    refuse.touch()
    try:
        visitor_of(stack).sign_up("patient", confirm=False)
        wait_until(
            lambda: sink_log(stack).count("Refused a delivery") >= refused_before + 2,
            MAIL_TIMEOUT,
            "the sink to refuse the email twice",
        )
        assert Outbox(stack.config.mail_dir).emails(to="patient@example.com") == []
    finally:
        refuse.unlink()

    visitor_of(stack).wait_for_email("patient@example.com")
    wait_until(
        lambda: outbox_rows(stack, "patient@example.com")[0][0] == "sent",
        MAIL_TIMEOUT,
        "the outbox to mark the email sent",
    )
    ((_, attempts, _),) = outbox_rows(stack, "patient@example.com")
    assert attempts >= 3  # two refused, then delivered
    # Delivered once: no retry still queued, no relay, sends it again.
    wait_until(
        lambda: "relay-outbox" in stack.read_log("inkpot-worker.log").split("Sent email")[-1],
        MAIL_TIMEOUT,
        "a relay after the delivery",
    )
    assert len(Outbox(stack.config.mail_dir).emails(to="patient@example.com")) == 1


def test_a_worker_killed_mid_send_loses_no_email(stack):
    stall = stack.config.mail_dir / "stall"
    stall.touch()
    try:
        visitor_of(stack).sign_up("survivor", confirm=False)
        # The worker has begun to send: the sink holds its delivery open.
        wait_until(
            (stack.config.mail_dir / "stalled").exists, MAIL_TIMEOUT, "the worker to start sending"
        )
        killed = stack.master_pid("inkpot-worker")
        # Main process, pool process and beat at once, as the kernel's OOM killer or a
        # crash would: nothing gets to acknowledge, finish or give back the message.
        os.killpg(killed, signal.SIGKILL)
    finally:
        stall.unlink()

    wait_until(
        lambda: stack.master_pid("inkpot-worker") not in (0, killed),
        MAIL_TIMEOUT,
        "supervisor to restart the worker",
    )
    visitor_of(stack).wait_for_email("survivor@example.com")
    ((status, attempts, _),) = outbox_rows(stack, "survivor@example.com")
    assert (status, attempts) == ("sent", 2)
    assert len(Outbox(stack.config.mail_dir).emails(to="survivor@example.com")) == 1


def test_with_the_broker_down_the_email_waits_in_the_outbox_until_it_is_back(stack):
    assert stack.supervisorctl("stop", "redis").returncode == 0
    try:
        # The visitor gets the usual answer, not an error ...
        answer = visitor_of(stack).sign_up("unhurried", confirm=False)
        assert answer.headers["Location"].endswith("/confirm/resend")
        # ... and the email waits in the outbox, due for the relay at once.
        assert outbox_rows(stack, "unhurried@example.com") == [("pending", 0, None)]
        # supervisor writes what gunicorn logs a moment later.
        wait_until(
            lambda: "waits in the outbox for the relay" in stack.read_log("inkpot-app.log"),
            10,
            "the app's warning that the email waits for the relay",
        )
    finally:
        assert stack.supervisorctl("start", "redis").returncode == 0

    # Redis comes back empty (it keeps nothing): the relay, not the queue, sends it.
    visitor_of(stack).wait_for_email("unhurried@example.com")
    assert outbox_rows(stack, "unhurried@example.com")[0][:2] == ("sent", 1)
    assert len(Outbox(stack.config.mail_dir).emails(to="unhurried@example.com")) == 1


def test_links_in_emails_name_the_public_url_whatever_host_the_request_named(stack):
    writer = visitor_of(stack)
    writer.sign_up("hosted")
    port = urlsplit(stack.url).port
    # A host name nginx and the app accept, but not PUBLIC_URL's; and a forged forwarded one.
    forged = {"Host": f"localhost:{port}", "X-Forwarded-Host": "evil.example"}
    visitor = Visitor(stack.url)
    token = csrf_token_in(visitor.get("/password/forgot", headers=forged).text)
    body = urlencode({"csrf_token": token, "email": "hosted@example.com"}).encode()
    headers = {**forged, "Content-Type": "application/x-www-form-urlencoded"}
    assert visitor.request("POST", "/password/forgot", body, headers).status == 302

    email = writer.wait_for_email("hosted@example.com", count=2)
    assert email.subject == "Reset your Inkpot password"
    assert email.link("/password/reset/").startswith(f"{stack.url}/password/reset/")
    message = email.file.read_text()
    assert "localhost" not in message
    assert "evil.example" not in message
    # A host nginx does not serve at all gets no answer, and sends no email.
    with pytest.raises(ConnectionError):
        Visitor(stack.url).get("/password/forgot", headers={"Host": "evil.example"})


def worker_metrics(stack) -> dict[tuple, float]:
    from prometheus_client.parser import text_string_to_metric_families

    from deploy.processes import http_get

    status, _, body = http_get(stack.config.worker_metrics_port, "/metrics")
    assert status == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


SENT = ("inkpot_emails_total", (("outcome", "sent"),))
SEND_TASKS = ("inkpot_tasks_total", (("state", "success"), ("task", "inkpot.send_email")))


def test_the_worker_logs_the_sign_ups_request_id_and_counts_the_email(stack):
    import json

    before = worker_metrics(stack)
    visitor = visitor_of(stack)
    answer = visitor.sign_up("traced", confirm=False)
    request_id = answer.headers["X-Request-ID"]
    visitor.wait_for_email("traced@example.com")

    def task_lines():
        lines = stack.read_log("inkpot-worker.log").splitlines()
        records = [json.loads(line) for line in lines if line.startswith("{")]
        return [r for r in records if r.get("request_id") == request_id]

    # The worker's own line about this email carries the id of the request that queued it.
    assert wait_until(task_lines, MAIL_TIMEOUT, f"a worker line with request_id {request_id}")
    after = worker_metrics(stack)
    assert after[SENT] - before.get(SENT, 0) >= 1
    assert after[SEND_TASKS] - before.get(SEND_TASKS, 0) >= 1
    duration = ("inkpot_task_duration_seconds_count", (("task", "inkpot.send_email"),))
    assert after[duration] >= 1


def test_the_worker_removes_unconfirmed_accounts_past_their_link_when_it_starts(stack):
    visitor_of(stack).sign_up("lapsed", confirm=False)
    visitor_of(stack).wait_for_email("lapsed@example.com")
    # Signed up 49 hours ago, as SQLAlchemy writes a time into SQLite.
    long_ago = f"{datetime.now(UTC) - timedelta(hours=49):%Y-%m-%d %H:%M:%S.%f}"
    database = stack.config.run_dir / "inkpot.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE users SET created_at = ? WHERE username = 'lapsed'", (long_ago,))

    def usernames():
        with sqlite3.connect(database) as connection:
            return {name for (name,) in connection.execute("SELECT username FROM users")}

    assert "lapsed" in usernames()
    # Beat's hourly run comes an hour after a start: the worker also runs it as it starts.
    assert stack.supervisorctl("restart", "inkpot-worker").returncode == 0
    wait_until(lambda: "lapsed" not in usernames(), MAIL_TIMEOUT, "the worker to remove it")
