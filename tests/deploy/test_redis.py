"""Redis in the stack, as deploy/redis/ sets it up: a password, and the page cache on its own.

The stack runs deploy/redis/'s two configs, rendered for this machine: one
redis-server for the worker's queue and the throttling counts, which never
evicts a key, and one for the page cache, bounded by maxmemory, its least
recently used copies dropped first. Both refuse a client without the password;
the app, the worker and throttling get it in their URLs, and no log or command
line shows it. The page cache keeps one copy of bounded size per page (so edits
do not pile copies up), and reads its copies as text, never as pickles.
"""

import os
import pickle
import re
import socket
import uuid
from pathlib import Path

import pytest
import redis
from limits import parse_many

from deploy import LAYOUTS
from deploy.processes import descendants_of, wait_until
from shared_web.config import Config
from tests.deploy.stacks import Visitor, start_stack
from tests.support.clients import csrf_token_in

pytestmark = pytest.mark.slow

# Small, so that filling the page cache takes a moment: 8 MB, in Redis's units.
CACHE_MEMORY = 8 * 1024 * 1024
# The largest copy the stack's app keeps (CACHE_ENTRY_MAX_BYTES).
ENTRY_CAP = 64 * 1024
CHINESE = {"Accept-Language": "zh-CN"}


@pytest.fixture(scope="module", params=LAYOUTS)
def stack(request, tmp_path_factory):
    """A stack that throttles, as production does, with a small page cache."""
    running = start_stack(
        request.param,
        tmp_path_factory.mktemp(f"redis-{request.param}"),
        settings={"RATELIMIT_ENABLED": "true", "CACHE_ENTRY_MAX_BYTES": str(ENTRY_CAP)},
        cache_memory="8mb",
    )
    try:
        yield running
    finally:
        running.stop(graceful=False)


def client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5)


def new_writer(stack, body: str = "Written through nginx.") -> tuple[Visitor, str, int]:
    """A new writer, signed in, with one published post: (visitor, username, post id)."""
    username = f"w{uuid.uuid4().hex[:10]}"
    visitor = Visitor(stack.url, mailbox=stack.config.mail_dir)
    visitor.sign_up(username)
    assert visitor.write_post(f"Opening words of {username}", body).status == 302
    (post_id,) = set(re.findall(r"/dashboard/posts/(\d+)/edit", visitor.get("/dashboard/").text))
    return visitor, username, int(post_id)


def lists(username: str) -> list[str]:
    return ["/", f"/sites/{username}/", f"/sites/{username}/feed.xml"]


def read_anonymously(stack, url: str, headers: dict | None = None):
    """The app's answer, not nginx's micro-cache's: a query string no request used before."""
    query = f"{'&' if '?' in url else '?'}redis-test={uuid.uuid4().hex}"
    return Visitor(stack.url).get(url + query, headers=headers)


def info(url: str, section: str, field: str) -> int:
    return int(client(url).info(section)[field])


def fail_sign_ins(stack, email: str, times: int) -> list[int]:
    guesser = Visitor(stack.url)
    token = csrf_token_in(guesser.get("/login").text)
    fields = {"csrf_token": token, "email": email, "password": "not-the-password"}
    return [guesser.post("/login", fields).status for _ in range(times)]


# Throttling first: every sign-in of the module counts against 127.0.0.1.
def test_throttling_counts_in_redis_with_the_password(stack):
    allowed = min(limit.amount for limit in parse_many(Config.LOGIN_RATE_LIMIT_PER_ACCOUNT))
    email = f"guessed-{uuid.uuid4().hex[:8]}@example.com"

    assert fail_sign_ins(stack, email, allowed + 1) == [200] * allowed + [429]

    # Counted in the queue's Redis (not in each worker's memory, its fallback).
    keys = client(stack.config.redis_url).keys("*")
    assert any(email.encode() in key for key in keys), keys


def test_the_worker_takes_tasks_from_redis_with_the_password(stack):
    _, username, _ = new_writer(stack)  # signing up waits for the worker's email

    assert client(stack.config.broker_url).exists("_kombu.binding.celery")
    assert f"{username}@example.com" in stack.read_log("inkpot-worker.log")


@pytest.mark.parametrize("program", ["redis", "redis-cache"])
def test_redis_refuses_clients_without_the_password(stack, program):
    port = stack.config.redis_ports[program]
    for password in (None, "not-the-password"):
        with pytest.raises(redis.AuthenticationError):
            redis.Redis(port=port, password=password, socket_timeout=5).ping()
    # In Redis's own protocol: every read and write before AUTH is refused.
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"SET planted value\r\nKEYS *\r\nGET planted\r\n")
        answers = b""
        while answers.count(b"\r\n") < 3:
            answers += connection.recv(4096)
    assert answers.count(b"-NOAUTH") == 3, answers
    # And only loopback is listened on.
    url = stack.config.cache_url if program == "redis-cache" else stack.config.redis_url
    assert client(url).config_get("bind")["bind"] == "127.0.0.1 -::1"
    assert client(url).config_get("protected-mode")["protected-mode"] == "yes"


def test_title_edits_with_feed_fetches_keep_the_page_cache_bounded(stack):
    cache_url = stack.config.cache_url
    keys_before = client(cache_url).dbsize()
    memory_before = info(cache_url, "memory", "used_memory")
    evicted_before = info(cache_url, "stats", "evicted_keys")
    # One long post: the feed carries it whole, close to the cap but under it.
    writer, username, post_id = new_writer(stack, "Gears turning, numbers woven. " * 1500)
    hosts = [f"127.0.0.1:{stack.config.port}", f"localhost:{stack.config.port}"]
    languages = [{}, CHINESE]

    def read_every_page(title: str) -> None:
        for url in lists(username):
            for host in hosts:
                for language in languages:
                    response = read_anonymously(stack, url, {"Host": host, **language})
                    assert response.status == 200 and title in response.text, (url, host)

    read_every_page(f"Opening words of {username}")
    feed = read_anonymously(stack, f"/sites/{username}/feed.xml").body
    assert ENTRY_CAP // 2 < len(feed) < ENTRY_CAP
    for number in range(25):
        title = f"Edit {number} of {username}"
        fields = {"title": title, "body": "Gears turning, numbers woven. " * 1500, "published": "y"}
        assert writer.submit(f"/dashboard/posts/{post_id}/edit", fields).status == 302
        read_every_page(title)

    # One copy per page, host and language, each at most the cap: none was evicted to
    # make room, and no edit added a copy.
    pages = len(lists(username)) * len(hosts) * len(languages)
    assert client(cache_url).dbsize() - keys_before <= pages
    assert info(cache_url, "stats", "evicted_keys") == evicted_before
    # Redis's own bookkeeping (client buffers, allocator) moves by a few hundred KB.
    slack = 1024 * 1024
    assert info(cache_url, "memory", "used_memory") - memory_before < pages * ENTRY_CAP + slack


class CreatesAFile:
    """Unpickled, it creates a file: proof that a pickle in the cache ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_planted_in_the_cache_is_never_unpickled(stack, tmp_path):
    writer, username, _ = new_writer(stack)
    title = f"Opening words of {username}"

    def read_every_list() -> None:
        for url in lists(username):
            for response in (read_anonymously(stack, url), writer.get(url)):
                assert response.status == 200 and title in response.text, url

    cache = client(stack.config.cache_url)
    earlier = set(cache.keys("*"))
    read_every_list()
    # The copies these pages are drawn from: the writer's site's, new, and the home page's.
    home = f"home posts:public:1:10:127.0.0.1:{stack.config.port}:en".encode()
    keys = [key for key in cache.keys("*") if key not in earlier or key.endswith(home)]
    assert len(keys) >= len(lists(username))

    marker = tmp_path / "unpickled"
    payload = pickle.dumps(CreatesAFile(marker))
    # cachelib's format (Flask-Caching's Redis backend unpickles it), then a bare pickle.
    for planted in (b"!" + payload, payload):
        for key in keys:
            cache.set(key, planted)
        read_every_list()
        assert not marker.exists()
        assert all(cache.get(key) != planted for key in keys)  # replaced by copies of pages


def test_filling_the_page_cache_evicts_only_its_own_copies(stack):
    cache, counts, queue = (
        client(url)
        for url in (stack.config.cache_url, stack.config.redis_url, stack.config.broker_url)
    )
    assert cache.config_get("maxmemory") == {"maxmemory": str(CACHE_MEMORY)}
    assert cache.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    assert counts.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    # What must outlive a full cache: a throttling count, the worker's queue bindings,
    # and a key of this test's in each database, which never expires.
    email = f"counted-{uuid.uuid4().hex[:8]}@example.com"
    fail_sign_ins(stack, email, 1)
    counts.set("redis-test:kept", "a count")
    queue.set("redis-test:kept", "a task")
    kept = {0: set(counts.keys("*")), 1: set(queue.keys("*"))}
    assert any(email.encode() in key for key in kept[0])
    assert b"_kombu.binding.celery" in kept[1]

    # Twice the cache's size, in copies of 100 KB.
    for number in range(2 * CACHE_MEMORY // 100_000):
        cache.set(f"redis-test:filler:{number}", os.urandom(100_000))

    assert info(stack.config.cache_url, "stats", "evicted_keys") > 0
    assert info(stack.config.cache_url, "memory", "used_memory") <= CACHE_MEMORY
    assert info(stack.config.redis_url, "stats", "evicted_keys") == 0
    assert kept[0] <= set(counts.keys("*"))
    assert kept[1] <= set(queue.keys("*"))
    # The site goes on: pages, their copies in the cache, and the worker's email.
    _, username, _ = new_writer(stack)
    earlier = set(cache.keys("*"))
    for url in lists(username):
        assert read_anonymously(stack, url).status == 200
    assert set(cache.keys("*")) - earlier


def test_the_password_is_in_no_log_and_on_no_command_line(stack):
    password = stack.config.redis_password()
    # Redis unreachable makes every part log about it: the page cache, throttling, the
    # email queued by a sign-up, and the worker.
    assert stack.supervisorctl("stop", "redis-cache", "redis").returncode == 0
    try:
        for url in ("/", "/sites/nobody/feed.xml"):
            read_anonymously(stack, url)
        fail_sign_ins(stack, "unreached@example.com", 1)
        Visitor(stack.url, mailbox=stack.config.mail_dir).sign_up("unqueued", confirm=False)
        wait_until(
            lambda: (
                "waits in the outbox" in stack.read_log("inkpot-app.log")
                and "page cache is unavailable" in stack.read_log("inkpot-app.log")
                and "Cannot connect to redis://:" in stack.read_log("inkpot-worker.log")
            ),
            30,
            "the app and the worker to log that Redis is unreachable",
        )
    finally:
        assert stack.supervisorctl("start", "redis", "redis-cache").returncode == 0

    logs = sorted((stack.config.run_dir / "logs").glob("*"))
    assert logs
    for log in logs:
        assert password not in log.read_text(errors="replace"), log.name
    # What `ps` shows every user of the machine: supervisord's programs and their children.
    processes = {stack.supervisord.pid, *descendants_of(stack.supervisord.pid)}
    assert len(processes) > 5
    for pid in processes:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:  # gone in the meantime
            continue
        assert password.encode() not in command, command
    assert password not in stack.config.supervisord_conf.read_text()
    # The files that do hold it are the stack user's alone.
    secrets = [stack.config.redis_conf(name) for name in stack.config.redis_ports]
    for secret in [*secrets, stack.config.env_file(), stack.config.run_dir / "redis_password"]:
        assert secret.stat().st_mode & 0o077 == 0, secret
