"""What an attacker sends from outside, through nginx → gunicorn → the app, and what holds.

Each test replays an attack that once worked against this stack: a post body
that froze every worker, a burst of parallel password guesses, a forged Host,
a session cookie spelled so that nginx cached a signed-in page, and nginx
showing its version on the answers it makes itself.
"""

import socket
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from limits import parse_many

from deploy import LAYOUTS
from deploy.processes import free_port, wait_until
from shared_models.models import POST_BODY_MAX
from shared_web.config import Config
from tests.deploy.stacks import Visitor, require_redis, start_stack
from tests.support.clients import PASSWORD, csrf_token_in

pytestmark = pytest.mark.slow

# Bounds on waiting, not measurements: before the fix one such save took minutes.
SAVE_TIMEOUT = 60
HEALTH_TIMEOUT = 10


def raw_request(stack, data: bytes) -> bytes:
    """Send bytes as they are (no client tidies them up) and return nginx's whole answer."""
    with socket.create_connection(("127.0.0.1", stack.config.port), timeout=10) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


# --- one request must not hold a worker for seconds ---------------------------------------


def repeated(unit: str, start: str = "", end: str = "") -> str:
    """A body of the largest size: `unit` repeated between `start` and `end`."""
    middle = POST_BODY_MAX - len(start) - len(end)
    return start + (unit * middle)[:middle] + end


PATHOLOGICAL_BODIES = {
    "brackets": repeated("["),
    "images": repeated("!["),
    "open links": repeated("[a"),
    "reference links": repeated("[a]["),
    # Not even 200 characters: mistune's pattern for raw HTML attributes
    # backtracked for minutes on it.
    "raw HTML attributes with tabs": "z <x" + "\ta=b\tc" * 28,
    "a heading's trailing spaces": repeated(" ", start="# a", end="x"),
}


def test_parallel_saves_of_pathological_markdown_leave_the_site_answering(stack):
    writers = []
    for number in range(len(PATHOLOGICAL_BODIES)):
        writer = Visitor(stack.url, timeout=SAVE_TIMEOUT, mailbox=stack.config.mail_dir)
        writer.sign_up(f"brackets-{number}-{uuid.uuid4().hex[:6]}")
        writers.append(writer)

    def save(pair):
        writer, body = pair
        return writer.write_post("Brackets", body).status

    health = []
    with ThreadPoolExecutor(max_workers=len(writers)) as pool:
        saves = pool.map(save, zip(writers, PATHOLOGICAL_BODIES.values(), strict=True))
        # While the saves are in flight, the site still answers its health check.
        health.append(Visitor(stack.url, timeout=HEALTH_TIMEOUT).get("/healthz").status)
        statuses = list(saves)

    assert statuses == [302] * len(writers)
    assert health == [200]
    assert "WORKER TIMEOUT" not in stack.read_log("inkpot-app.log")


# --- parallel sign-in guesses --------------------------------------------------------------


@pytest.fixture(scope="module", params=LAYOUTS)
def throttled_stack(request, tmp_path_factory):
    """A stack that throttles as production does, its counts in a real Redis."""
    require_redis()
    running = start_stack(
        request.param,
        tmp_path_factory.mktemp(f"throttled-{request.param}"),
        settings={"RATELIMIT_ENABLED": "true"},
        redis_port=free_port(),
    )
    yield running
    running.stop(graceful=False)


def test_a_burst_of_parallel_guesses_through_nginx_cannot_outrun_the_limit(throttled_stack):
    victim = Visitor(throttled_stack.url, mailbox=throttled_stack.config.mail_dir)
    victim.sign_up("victim")
    # Every guess is for one account: its limit's tightest window is the most that may pass.
    allowed = min(limit.amount for limit in parse_many(Config.LOGIN_RATE_LIMIT_PER_ACCOUNT))
    guessers = [Visitor(throttled_stack.url) for _ in range(40)]
    tokens = [csrf_token_in(guesser.get("/login").text) for guesser in guessers]
    start = threading.Barrier(len(guessers))

    def guess(pair):
        guesser, token = pair
        start.wait(timeout=30)
        fields = {"csrf_token": token, "email": "victim@example.com", "password": "wrong-guess"}
        return guesser.post("/login", fields).status

    with ThreadPoolExecutor(max_workers=len(guessers)) as pool:
        statuses = list(pool.map(guess, zip(guessers, tokens, strict=True)))

    checked = statuses.count(200)
    assert checked <= allowed, f"{checked} guesses were checked: {sorted(statuses)}"
    assert statuses.count(429) == len(guessers) - checked
    assert Visitor(throttled_stack.url).get("/login").status == 200


# --- forged hosts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_head",
    [
        "GET /sites/nobody HTTP/1.1\r\nHost: 127.0.0.1:{port},evil.example\r\n",
        "GET http://127.0.0.1:{port}/sites/nobody HTTP/1.1\r\nHost: evil.example\r\n",
        "GET /sites/nobody HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Forwarded-Host: evil\r\n",
    ],
    ids=["host-with-a-comma", "absolute-request-line", "forwarded-host"],
)
def test_a_forged_host_never_reaches_a_link(stack, request_head):
    head = request_head.format(port=stack.config.port) + "Connection: close\r\n\r\n"

    answer = raw_request(stack, head.encode())

    # The trailing-slash redirect is built from the host: it must name the real one.
    assert b"evil" not in answer
    status = answer.split(b" ", 2)[1] if answer else b"(no answer)"
    assert status in {b"308", b"400", b"(no answer)"}, answer[:200]


def test_the_feed_ids_name_the_real_host_whatever_the_request_says(stack):
    writer = Visitor(stack.url, mailbox=stack.config.mail_dir)
    slug = f"feeds-{uuid.uuid4().hex[:6]}"
    writer.sign_up(slug)
    assert writer.write_post("Hosted").status == 302
    head = (
        f"GET http://127.0.0.1:{stack.config.port}/sites/{slug}/feed.xml HTTP/1.1\r\n"
        "Host: evil.example\r\nConnection: close\r\n\r\n"
    )

    answer = raw_request(stack, head.encode())

    assert answer.startswith(b"HTTP/1.1 200")
    assert b"evil.example" not in answer
    assert f"http://127.0.0.1:{stack.config.port}/sites/{slug}/".encode() in answer


# --- the micro-cache and session cookies ---------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "{name}={value}",
        "{name} ={value}",
        "{name}\t={value}",
        " {name} = {value}",
        "x=1; {name}={value}",
    ],
    ids=["plain", "space-before-equals", "tab-before-equals", "spaces-around", "second-cookie"],
)
def test_a_signed_in_page_is_never_cached_however_the_cookie_is_spelled(stack, spelling):
    writer = Visitor(stack.url, mailbox=stack.config.mail_dir)
    slug = f"cookie-{uuid.uuid4().hex[:6]}"
    writer.sign_up(slug)
    if writer.get("/dashboard/").status != 200:
        assert writer.submit("/login", {"email": f"{slug}@example.com", "password": PASSWORD})
    name = f"{stack.config.layout}_layout_session"
    value = writer.cookies[name]
    url = f"/sites/{slug}/?spelling={uuid.uuid4().hex}"

    # A browser holding nothing but that one header.
    cookie = {"Cookie": spelling.format(name=name, value=value)}
    signed_in = Visitor(stack.url).get(url, headers=cookie)
    stranger = Visitor(stack.url).get(url)

    assert "Sign out" in signed_in.text, "the app did not read the cookie: a useless test"
    assert signed_in.headers.get("X-Cache-Status") in {"BYPASS", None}
    assert "Sign out" not in stranger.text
    assert stranger.headers.get("X-Cache-Status") != "HIT"


# --- nginx's own answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nHost: a b c\r\n\r\n", b"GET /\x00 HTTP/1.1\r\n\r\n"],
    ids=["no-method", "bad-host", "nul-in-target"],
)
def test_nginx_shows_no_version_even_on_a_malformed_request(stack, data):
    answer = raw_request(stack, data)

    assert answer.startswith(b"HTTP/1.1 400")
    assert b"nginx/" not in answer
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert b"x-content-type-options: nosniff" in head
    assert b"x-frame-options: deny" in head


def test_health_is_still_answered_after_all_of_that(stack):
    wait_until(lambda: Visitor(stack.url).get("/healthz").status == 200, HEALTH_TIMEOUT, "health")
