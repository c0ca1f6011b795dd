"""Operating the stack: one request id through every log, JSON lines, metrics across workers.

Through the real nginx → gunicorn (gevent, two workers) → app under supervisord,
as `make serve` runs it, with the production settings (LOG_FORMAT=json).
"""

import json
import re
import time
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from deploy.processes import http_get, wait_until
from tests.deploy.stacks import Visitor, start_stack
from tests.support.clients import PASSWORD

pytestmark = pytest.mark.slow

LOG_WAIT = 10
# Every JSON line has these; a request's line has the rest too.
LINE_FIELDS = {"time", "level", "logger", "message"}
REQUEST_FIELDS = {
    "request_id", "method", "path", "endpoint", "status", "duration_ms", "client",
    "sql_count", "sql_ms",
}  # fmt: skip
# A password and a title no log may ever contain.
SENTINEL_PASSWORD = "sentinel-Pa55word-" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    """The functional stack, serving the crash probe next to the real site."""
    running = start_stack(
        "functional",
        tmp_path_factory.mktemp("operations"),
        wsgi_app="tests.deploy.crash_probe_app:app",
    )
    yield running
    running.stop(graceful=False)


def app_lines(stack) -> list[dict]:
    """The app's log (supervisor's file for gunicorn's stderr), every line parsed as JSON."""
    return [json.loads(line) for line in stack.read_log("inkpot-app.log").splitlines() if line]


def line_for(stack, request_id: str) -> dict:
    def find():
        return next(
            (
                r
                for r in app_lines(stack)
                if r.get("request_id") == request_id and r["logger"] == "inkpot.request"
            ),
            None,
        )

    return wait_until(find, LOG_WAIT, f"the app's log line for {request_id}")


def test_one_request_id_is_in_every_log_and_on_the_response(stack):
    response = Visitor(stack.url).get(f"/?trace={uuid.uuid4().hex}")
    request_id = response.headers["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert response.headers.get_all("X-Request-ID") == [request_id]
    line = line_for(stack, request_id)
    assert line["endpoint"] == "home.index" and line["status"] == 200
    for log in ("nginx-access.log", "inkpot-access.log"):
        line = access_line(stack, log, request_id)
        assert id_fields(line) == [request_id]


# The request id field of both access logs, nginx's and gunicorn's.
ID_FIELD = re.compile(r'request_id="([^"]*)"')
# A visitor's text dressed as the id field of every log: the access logs' and the JSON lines'.
FORGED_ID = 'x request_id=FAKE request_id="FAKE" "request_id": "FAKE", request_id=\\"FAKE'


def id_fields(line: str) -> list[str]:
    """The request ids an access log's line names, as a grep for the field finds them."""
    return ID_FIELD.findall(line)


def access_line(stack, log: str, text: str) -> str:
    """The line of an access log that holds `text`, once the server has written it."""

    def find():
        return next((line for line in stack.read_log(log).splitlines() if text in line), None)

    return wait_until(find, LOG_WAIT, f"{text} in {log}")


def test_a_visitor_cannot_write_a_request_id_field_into_the_access_logs(stack):
    trace = uuid.uuid4().hex
    forged = {
        # With a tab and a byte outside ASCII, which both logs escape.
        "User-Agent": f"caf\xe9\t{FORGED_ID}",
        "X-Forwarded-For": f"198.51.100.7 {FORGED_ID}",
        "Referer": f"http://127.0.0.1/{FORGED_ID}",
    }
    response = Visitor(stack.url).get(
        f'/?trace={trace}&request_id=FAKE&request_id="FAKE"', headers=forged
    )
    request_id = response.headers["X-Request-ID"]

    assert response.status == 200
    user_agents = []
    for log in ("nginx-access.log", "inkpot-access.log"):
        line = access_line(stack, log, trace)
        # The one id field is the real one; the visitor's text is there, but as text.
        assert id_fields(line) == [request_id], line
        assert 'request_id="FAKE"' not in line
        assert "FAKE" in line
        assert not {"\t", "\xe9", "\ufffd"} & set(line)  # no raw byte of the visitor's
        # A grep for the id finds the line, as README's one-command trail does.
        assert access_line(stack, log, f'request_id="{request_id}"') == line
        user_agents.append(re.search(r'"([^"]*)" request_id=', line)[1])
    # gunicorn escapes as nginx does: the same header reads the same in both logs.
    assert user_agents[0] == user_agents[1]
    assert user_agents[0].startswith(r"caf\xE9\x09x request_id=FAKE request_id=\x22FAKE\x22")


def test_a_link_that_meets_a_stopped_app_leaves_no_token_in_nginxs_error_log(stack):
    links = {
        "/password/reset/": f"{uuid.uuid4().hex}.aBc-dEf_{uuid.uuid4().hex[:12]}",
        "/confirm/": f"{uuid.uuid4().hex}.GhI-jKl_{uuid.uuid4().hex[:12]}",
    }
    failed = {}  # request id: path, as it may be logged
    assert stack.supervisorctl("stop", "inkpot").returncode == 0
    try:
        for prefix, token in links.items():
            for method in ("GET", "POST"):
                response = Visitor(stack.url).request(method, f"{prefix}{token}?x=1")
                assert response.status == 502
                failed[response.headers["X-Request-ID"]] = f"{method} {prefix}[redacted]?x=1"
    finally:
        stack.supervisorctl("start", "inkpot")
        stack.wait_until_serving()

    error_log = stack.read_log("nginx-error.log")
    for token in links.values():
        assert token not in error_log
    # nginx still says that the app was down, request by request.
    for request_id, logged_request in failed.items():
        line = access_line(stack, "nginx-error.log", f'request_id="{request_id}"')
        assert " [error] " in line
        assert "upstream" in line
        assert f'"{logged_request} HTTP/1.1"' in line


def test_a_crash_shows_the_id_that_its_traceback_is_logged_with(stack):
    response = Visitor(stack.url).get("/_probe/crash")
    request_id = response.headers["X-Request-ID"]

    assert response.status == 500
    assert request_id in response.text
    assert "the probe crashed" not in response.text

    def traceback():
        return next(
            (
                r
                for r in app_lines(stack)
                if r["level"] == "ERROR" and r.get("request_id") == request_id
            ),
            None,
        )

    error = wait_until(traceback, LOG_WAIT, "the crash's traceback in the app's log")
    assert "RuntimeError: the probe crashed on purpose" in str(error["exc_info"])


def test_every_line_of_the_app_log_is_one_json_object(stack):
    Visitor(stack.url).get("/sites/nobody/")
    lines = stack.read_log("inkpot-app.log").splitlines()

    assert lines
    records = [json.loads(line) for line in lines]  # each line parses on its own
    assert all(record.keys() >= LINE_FIELDS for record in records)
    requests = [r for r in records if r["logger"] == "inkpot.request"]
    assert requests and all(r.keys() >= REQUEST_FIELDS for r in requests)
    # gunicorn's own messages (worker starts) are in the same format.
    assert any(r["logger"] == "gunicorn.error" for r in records)


def test_no_secret_reaches_any_log(stack):
    """A whole journey: sign-up, its link, sign-in, password change, reset, API token and calls."""
    visitor = Visitor(stack.url, mailbox=stack.config.mail_dir)
    name = f"sentinel-{uuid.uuid4().hex[:6]}"
    email = f"{name}@example.com"
    passwords = [SENTINEL_PASSWORD, SENTINEL_PASSWORD[::-1], SENTINEL_PASSWORD + "-reset"]
    fields = {"username": name, "email": email, "password": passwords[0]}
    assert visitor.submit("/signup", fields).status == 302
    confirm = visitor.wait_for_email(email).path("/confirm/")
    assert visitor.confirm(confirm, passwords[0]).status == 302
    change = {"current_password": passwords[0], "new_password": passwords[1]}
    assert visitor.submit("/dashboard/account", change).status == 302
    csrf_tokens = re.findall(r'name="csrf_token" value="([^"]+)"', visitor.get("/dashboard/").text)
    token_form = {"name": "Sentinel", "scope": "write", "current_password": passwords[1]}
    made = visitor.submit("/dashboard/tokens", token_form)
    (api_token,) = set(re.findall(r"inkpot_[\w-]{43}", made.text))
    cookies = list(visitor.cookies.values())
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert Visitor(stack.url).get("/api/v1/me", headers=bearer).status == 200
    stranger = Visitor(stack.url, mailbox=stack.config.mail_dir)
    assert stranger.submit("/password/forgot", {"email": email}).status == 302
    reset = stranger.wait_for_email(email, count=2).path("/password/reset/")
    assert stranger.submit(reset, {"new_password": passwords[2]}).status == 302
    wrong = Visitor(stack.url).submit("/login", {"email": email, "password": passwords[0]})
    assert wrong.status == 200
    # The reset revoked the token; its refusal goes through the logs too.
    assert Visitor(stack.url).get("/api/v1/me", headers=bearer).status == 401
    links = [confirm.rsplit("/", 1)[1], reset.rsplit("/", 1)[1]]
    secrets = [*passwords, *links, api_token, *cookies, *csrf_tokens]
    time.sleep(0.5)  # let supervisor write what it has been given

    logs = {path.name: path.read_text() for path in (stack.config.run_dir / "logs").glob("*.log")}
    assert {"nginx-access.log", "inkpot-access.log", "inkpot-app.log"} <= logs.keys()
    for log_name, text in logs.items():
        for secret in secrets:
            assert secret not in text, f"a secret is in {log_name}"


def scrape(stack, path: str = "/metrics", headers=None) -> tuple[int, dict]:
    """Scrape one gunicorn directly, as Prometheus does (it is on loopback)."""
    status, _, body = http_get(stack.config.app_ports[0], path, headers=headers)
    if status != 200:
        return status, {}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    return status, samples


HEALTH = (
    "inkpot_http_requests_total",
    (("endpoint", "home.healthz"), ("method", "GET"), ("status", "200")),
)


def test_metrics_add_up_across_workers_and_a_reload(stack):
    _, before = scrape(stack)
    workers_before = stack.worker_pids()
    sent = 0
    for _ in range(60):
        assert Visitor(stack.url).get("/healthz").status == 200
        sent += 1
    # A graceful reload replaces every worker; what they counted must not be lost.
    stack.supervisorctl("signal", "HUP", "inkpot")
    wait_until(lambda: not (stack.worker_pids() & workers_before), 30, "new workers after HUP")
    wait_until(lambda: len(stack.worker_pids()) == stack.config.worker_count, 30, "all workers")
    for _ in range(40):
        assert Visitor(stack.url).get("/healthz").status == 200
        sent += 1

    _, after = scrape(stack)

    counted = after[HEALTH] - before.get(HEALTH, 0)
    assert counted == sent


def test_metrics_are_not_public(stack):
    public = Visitor(stack.url).get("/metrics")
    status, _ = scrape(stack, headers={"X-Forwarded-For": "203.0.113.9"})

    assert public.status == 404 and "inkpot_" not in public.text
    assert status == 404


def test_signing_in_wrong_is_counted(stack):
    _, before = scrape(stack)
    Visitor(stack.url).submit("/login", {"email": "nobody@example.com", "password": PASSWORD})

    _, after = scrape(stack)

    key = ("inkpot_sign_in_failures_total", ())
    assert after[key] - before.get(key, 0) == 1
