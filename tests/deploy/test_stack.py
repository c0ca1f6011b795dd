"""The production stack, for real on loopback: nginx before gevent gunicorn under supervisor."""

import gzip
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from deploy import render
from deploy.processes import descendants_of, is_alive, wait_until
from deploy.stack import find_nginx
from shared_web.config import Config
from tests.deploy.stacks import Load, Visitor, start_stack
from tests.support.languages import say

pytestmark = pytest.mark.slow

STYLESHEET = "/static/css/inkpot.css"


def posts_saved(stack, site_slug: str) -> int:
    """Count a site's posts in the stack's SQLite file, read directly."""
    with sqlite3.connect(stack.config.run_dir / "inkpot.sqlite3") as connection:
        query = "SELECT count(*) FROM posts JOIN sites ON site_id = sites.id WHERE sites.slug = ?"
        return connection.execute(query, (site_slug,)).fetchone()[0]


def in_session(session: int) -> list[str]:
    """The live processes of a session (pid and command), as ps lists them."""
    listed = subprocess.run(
        ["ps", "-s", str(session), "-o", "stat=,pid=,args="],
        capture_output=True,
        text=True,
        check=False,
    )
    return [line for line in listed.stdout.splitlines() if not line.startswith("Z")]


def first_line_for(log: str, path: str) -> str | None:
    return next((line for line in log.splitlines() if f" {path} " in line), None)


def test_shipped_configs_pass_nginx_t_and_gunicorn_check_config(stack):
    config = stack.config
    error_log = str(config.log("nginx-error.log"))
    nginx = [find_nginx(), "-t", "-p", f"{config.run_dir}/nginx/", "-e", error_log]
    checked = subprocess.run(
        [*nginx, "-c", str(config.nginx_conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr

    environment = {**os.environ, "INKPOT_ENV_FILE": str(config.env_file())}
    gunicorn = [render.environment_program("gunicorn"), "--config", "deploy/gunicorn.conf.py"]
    # --check-config loads the app as a worker would; --print-config shows what it resolved.
    checked = subprocess.run(
        [*gunicorn, "--check-config", "--print-config"],
        cwd=render.REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    printed = checked.stdout
    settings = dict(re.findall(r"^(\w+)\s+= (.*)$", printed, flags=re.MULTILINE))
    assert settings["worker_class"] == "gevent"
    assert settings["workers"] == "2"  # WEB_CONCURRENCY from the env file
    assert settings["preload_app"] == "False"
    assert settings["wsgi_app"] == "deploy.wsgi:app"


def test_nginx_t_fails_on_a_broken_config(stack, tmp_path):
    """The check above can fail: the same config with one bad directive does not pass."""
    broken = tmp_path / "nginx.conf"
    broken.write_text(
        stack.config.nginx_conf.read_text().replace("http {", "http {\n    nonsense on;")
    )
    error_log = str(tmp_path / "error.log")
    nginx = [find_nginx(), "-t", "-p", f"{stack.config.run_dir}/nginx/", "-e", error_log]
    checked = subprocess.run(
        [*nginx, "-c", str(broken)], capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode != 0


def test_a_visitor_signs_up_and_publishes_a_post_through_nginx(stack):
    visitor = Visitor(stack.url, mailbox=stack.config.mail_dir)
    assert visitor.get("/").status == 200
    assert visitor.sign_up("nginx-writer").headers["Location"].endswith("/dashboard/")
    assert visitor.get("/dashboard/").status == 200

    created = visitor.write_post("Served by gunicorn", "Through *nginx*, with gevent.")
    assert created.status == 302
    post = visitor.get("/sites/nginx-writer/served-by-gunicorn")
    assert post.status == 200
    assert "Through <em>nginx</em>, with gevent." in post.text

    assert visitor.submit("/logout", {}, form_page="/dashboard/").status == 302
    assert visitor.get("/dashboard/").status == 302  # signed out: sent to /login
    signed_in = visitor.submit(
        "/login", {"email": "nginx-writer@example.com", "password": "correct-horse-battery"}
    )
    assert signed_in.status == 302
    assert "Served by gunicorn" in visitor.get("/dashboard/").text


def test_the_app_builds_its_links_from_what_nginx_passes_on(stack):
    """ProxyFix in production: the feed's absolute links name the host and port the visitor used."""
    visitor = Visitor(stack.url, mailbox=stack.config.mail_dir)
    visitor.sign_up("feed-writer")
    visitor.write_post("Linked from the feed")
    feed = visitor.get("/sites/feed-writer/feed.xml")
    assert feed.status == 200
    assert f"{stack.url}/sites/feed-writer/linked-from-the-feed" in feed.text


def test_static_files_are_answered_by_nginx_and_never_reach_gunicorn(stack):
    folders = render.static_folders(stack.config.layout)
    rendered = (stack.config.run_dir / "nginx" / "static-locations.conf").read_text()
    # Every static route of the app, the areas' too, has its nginx location.
    for prefix, folder in folders:
        assert f"location ^~ {prefix} {{" in rendered
        assert f'alias "{folder}/";' in rendered

    served = []
    for prefix, folder in folders:
        for path in sorted(path for path in Path(folder).rglob("*") if path.is_file()):
            url = prefix + path.relative_to(folder).as_posix()
            response = Visitor(stack.url).get(url)
            assert response.status == 200, url
            assert response.body == path.read_bytes()
            assert response.headers["Cache-Control"] == "max-age=604800"
            served.append(url)
    assert STYLESHEET in served

    versioned = Visitor(stack.url).get(STYLESHEET + "?v=1")
    assert versioned.headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    missing = Visitor(stack.url).get("/static/css/no-such-file.css?v=1")
    assert missing.status == 404
    assert missing.headers.get("Cache-Control") != "public, max-age=31536000, immutable"

    # Proof that gunicorn is up and logging: a page it did serve is in its log.
    Visitor(stack.url).get("/?page=static-check")
    wait_until(
        lambda: "/?page=static-check" in stack.read_log("inkpot-access.log"), 10, "the access log"
    )
    access_log = stack.read_log("inkpot-access.log")
    for url in served:
        assert first_line_for(access_log, url) is None, f"gunicorn served {url}"


def test_a_static_file_that_does_not_exist_gets_the_apps_404_page(stack):
    response = Visitor(stack.url).get("/static/no-such-file.css")
    assert response.status == 404
    assert STYLESHEET in response.text  # the site's styled page, not nginx's


def test_a_missing_static_file_writes_no_line_to_nginxs_error_log(stack):
    # A stale link or a bot's guess is not an error of the server: the log stays for those.
    # The app answers instead (its 404 page; a sign-in page in the signed-in areas).
    for number, (prefix, _) in enumerate(render.static_folders(stack.config.layout)):
        response = Visitor(stack.url).get(f"{prefix}missing-{number}.css")
        assert response.status in {302, 404}, prefix
    error_log = stack.read_log("nginx-error.log")
    assert "missing-" not in error_log


def test_security_headers_match_the_apps_on_every_kind_of_response(stack):
    too_large = "x" * (Config.MAX_CONTENT_LENGTH + 1)
    Visitor(stack.url).get("/?headers-check")
    responses = {
        "an app page": Visitor(stack.url).get("/"),
        # Asked twice: the second may come from nginx's micro-cache, not from the app.
        "a page asked again": Visitor(stack.url).get("/?headers-check"),
        "an app error page": Visitor(stack.url).get("/no-such-page"),
        "a static file": Visitor(stack.url).get(STYLESHEET),
        "nginx's 413 page": Visitor(stack.url).post("/signup", {"body": too_large}),
    }
    for kind, response in responses.items():
        for name, value in Config.SECURITY_HEADERS.items():
            assert response.headers.get_all(name) == [value], f"{name} on {kind}"
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"]), kind


def test_pages_and_stylesheets_are_compressed(stack):
    # The page under a URL of its own: nginx keeps a gzipped and a plain copy apart, and
    # an older copy of "/" (up to a second old) may be in its cache as either.
    for path in ["/?compression-check", STYLESHEET]:
        plain = Visitor(stack.url).get(path)
        compressed = Visitor(stack.url).get(path, headers={"Accept-Encoding": "gzip"})
        assert compressed.headers["Content-Encoding"] == "gzip", path
        assert gzip.decompress(compressed.body) == plain.body
        assert len(compressed.body) < len(plain.body) / 2


def test_nginx_refuses_bodies_over_the_apps_limit_with_the_sites_413_page(stack):
    limit = Config.MAX_CONTENT_LENGTH
    # A body of exactly the limit reaches the app (which refuses its missing CSRF token).
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    at_limit = Visitor(stack.url).request(
        "POST", "/signup?at-limit", body=b"a" * limit, headers=form
    )
    assert at_limit.status == 400
    wait_until(lambda: "/signup?at-limit" in stack.read_log("inkpot-access.log"), 10, "the app")

    over = Visitor(stack.url).request(
        "POST", "/signup?over-limit", body=b"a" * (limit + 1), headers=form
    )
    assert over.status == 413
    assert "limited to 1 MiB" in over.text
    assert STYLESHEET in over.text
    assert over.headers["X-Request-Id"] in over.text  # the reference SSI filled in
    assert "/signup?over-limit" not in stack.read_log("inkpot-access.log")

    # In the visitor's language, worked out as the app would, with the catalogue's words.
    chinese = Visitor(stack.url).request(
        "POST",
        "/signup?over-limit-zh",
        body=b"a" * (limit + 1),
        headers={**form, "Accept-Language": "zh-CN,zh;q=0.9"},
    )
    assert chinese.status == 413
    assert '<html lang="zh-Hans">' in chinese.text
    assert say("zh-Hans", "What you sent is too large. Posts and forms are limited to 1 MiB.") in (
        chinese.text
    )
    assert "limited to 1 MiB" not in chinese.text
    assert '<html lang="en">' in over.text


def test_requests_for_other_host_names_get_no_answer(stack):
    """The app builds links from the Host header, so nginx passes on only its own names."""
    with socket.create_connection(("127.0.0.1", stack.config.port), timeout=10) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: evil.example.com\r\n\r\n")
        assert connection.recv(1024) == b""  # closed, no response at all


def test_gunicorn_logs_nginx_request_id_and_the_visitors_address(stack):
    response = Visitor(stack.url).get("/?page=log-check")
    request_id = response.headers["X-Request-Id"]
    line = wait_until(
        lambda: first_line_for(stack.read_log("inkpot-access.log"), "/?page=log-check"),
        10,
        "the request in gunicorn's access log",
    )
    assert f'request_id="{request_id}"' in line
    assert line.startswith('"127.0.0.1" ')  # X-Forwarded-For, from nginx
    # nginx writes its line once the response is out, so it may come a moment later.
    wait_until(
        lambda: f'request_id="{request_id}"' in stack.read_log("nginx-access.log"),
        10,
        "the request in nginx's access log",
    )


def test_supervisor_is_controlled_through_a_private_unix_socket_only(stack):
    mode = stack.config.supervisor_socket.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o700
    assert "inet_http_server" not in stack.config.supervisord_conf.read_text()
    # No TCP socket of supervisord's is listening.
    inodes = {
        link.readlink().name.removeprefix("socket:[").removesuffix("]")
        for link in Path(f"/proc/{stack.supervisord.pid}/fd").iterdir()
        if link.readlink().name.startswith("socket:[")
    }
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            columns = row.split()
            assert not (columns[3] == "0A" and columns[9] in inodes), f"listening: {row}"


def test_eight_concurrent_writers_on_sqlite_all_get_their_posts_saved(stack):
    writers, posts_each = 8, 5
    visitors = [Visitor(stack.url, mailbox=stack.config.mail_dir) for _ in range(writers)]
    for number, visitor in enumerate(visitors):
        visitor.sign_up(f"sqlite-writer-{number}")
    start = threading.Barrier(writers)
    statuses: list[int] = []

    def write(number: int) -> None:
        start.wait(timeout=30)
        for post in range(posts_each):
            statuses.append(visitors[number].write_post(f"Post {post}", "Saved.").status)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert statuses == [302] * (writers * posts_each)
    for number in range(writers):
        assert posts_saved(stack, f"sqlite-writer-{number}") == posts_each
    with sqlite3.connect(stack.config.run_dir / "inkpot.sqlite3") as connection:
        # Set by shared_models/database.py on connect, and kept by the file itself.
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "database is locked" not in stack.read_log("inkpot-app.log")


def test_a_killed_worker_is_replaced_and_requests_keep_succeeding(stack):
    workers = stack.worker_pids()
    victim = min(workers)
    with Load(lambda _: Visitor(stack.url).get("/healthz"), threads=2) as load:
        time.sleep(0.5)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        wait_until(
            lambda: len(stack.worker_pids() - workers) == 1 and len(stack.worker_pids()) == 2,
            20,
            "gunicorn to replace the killed worker",
        )
        time.sleep(1)
    assert victim not in stack.worker_pids()
    assert len([o for o in load.outcomes if o.started > killed_at]) > 20
    # A response the victim was in the middle of sending is lost with it (nginx cannot
    # retry what it has begun to pass on); every request made after the kill succeeds.
    assert load.failures(started_after=killed_at) == []
    in_flight = [o for o in load.failures() if o.started < killed_at < o.finished + 0.05]
    assert len(in_flight) == len(load.failures()) <= 1


def test_graceful_reload_under_load_loses_no_request(stack):
    writer = Visitor(stack.url, mailbox=stack.config.mail_dir)
    writer.sign_up("reload-writer")
    # Signed in, so their pages come from gunicorn, never from nginx's cache.
    readers = [Visitor(stack.url, mailbox=stack.config.mail_dir) for _ in range(2)]
    for number, reader in enumerate(readers):
        reader.sign_up(f"reload-reader-{number}")
    old_workers = stack.worker_pids()
    posted = []

    def request(number: int):
        if number == 0:  # one thread writes posts, the others read pages
            response = writer.write_post(f"During reload {len(posted)}")
            if response.status == 302:
                posted.append(response)
            return response
        return readers[number - 1].get("/dashboard/")

    with Load(request, threads=3) as load:
        time.sleep(1)
        assert stack.supervisorctl("signal", "HUP", "inkpot").returncode == 0
        wait_until(
            lambda: stack.worker_pids().isdisjoint(old_workers) and len(stack.worker_pids()) == 2,
            30,
            "the reload to replace every worker",
        )
        time.sleep(1.5)
    assert load.failures() == []
    assert len(load.outcomes) > 30
    assert posted  # writes went on during the reload ...
    assert posts_saved(stack, "reload-writer") == len(posted)  # ... and every one was saved
    assert stack.states()["inkpot"] == "RUNNING"


def test_a_killed_master_is_restarted_by_supervisor(stack):
    old_master = stack.master_pid()
    # If they outlived their master, stopping the stack would kill them: it knows them.
    old_workers = stack.worker_pids()
    os.kill(old_master, signal.SIGKILL)

    new_master = wait_until(
        lambda: stack.master_pid() not in (0, old_master) and stack.master_pid(),
        30,
        "supervisor to start a new gunicorn master",
    )
    stack.wait_until_serving()
    assert stack.master_pid() == new_master
    assert stack.worker_pids().isdisjoint(old_workers)
    # The orphaned workers notice their master is gone and leave.
    wait_until(lambda: not any(is_alive(pid) for pid in old_workers), 15, "the old workers to exit")
    assert Visitor(stack.url).get("/").status == 200


def test_the_site_shows_its_502_page_while_the_app_is_down(stack):
    gunicorn = {stack.master_pid()} | stack.worker_pids()
    assert stack.supervisorctl("stop", "inkpot").returncode == 0
    try:
        # A graceful stop leaves no gunicorn process behind, still serving ...
        assert not any(is_alive(pid) for pid in gunicorn)
        assert descendants_of(stack.supervisord.pid)  # ... while nginx runs on
        for method in ("GET", "POST"):
            response = Visitor(stack.url).request(method, "/dashboard/")
            assert response.status == 502
            assert "Back in a moment" in response.text
            assert '<p class="error-code">502</p>' in response.text
            assert response.headers["X-Request-Id"] in response.text
            for name, value in Config.SECURITY_HEADERS.items():
                assert response.headers.get_all(name) == [value]
        # A reader of Chinese (by the cookie, as nginx reads it) gets the page in Chinese.
        chinese = Visitor(stack.url).get("/dashboard/", headers={"Cookie": "locale=zh-Hans"})
        assert chinese.status == 502
        assert '<html lang="zh-Hans">' in chinese.text
        assert "马上回来" in chinese.text
        assert "Back in a moment" not in chinese.text
        # The page's stylesheet is there while the app is not.
        assert Visitor(stack.url).get(STYLESHEET).status == 200
    finally:
        stack.supervisorctl("start", "inkpot")
        stack.wait_until_serving()
    assert Visitor(stack.url).get("/").status == 200


def test_a_stack_runs_what_production_runs_and_a_mail_sink_for_the_provider(stack):
    # Production needs a broker for its email: the worker and Redis come with every stack.
    programs = {"inkpot", "inkpot-worker", "nginx", "redis", "redis-cache", "smtp-sink"}
    assert set(stack.states()) == programs
    assert set(stack.states().values()) == {"RUNNING"}
    env_file = stack.config.env_file().read_text()
    assert f"CELERY_BROKER_URL={stack.config.broker_url}\n" in env_file
    assert f"MAIL_PORT={stack.config.smtp_port}\n" in env_file


def test_a_stacks_redis_keeps_nothing_and_stops_with_it(tmp_path):
    """Each instance on a port of its own, its folder in the run directory, no snapshot,
    no append-only file."""
    running = start_stack("functional", tmp_path / "run")
    try:
        for program, url in (
            ("redis", running.config.redis_url),
            ("redis-cache", running.config.cache_url),
        ):
            client = redis.Redis.from_url(url, socket_timeout=5)
            assert client.ping()
            assert client.config_get("dir")["dir"] == str(tmp_path / "run" / program)
            assert client.config_get("save")["save"] == ""
            assert client.config_get("appendonly")["appendonly"] == "no"
            server = int(running.supervisorctl("pid", program).stdout)
            assert server in descendants_of(running.supervisord.pid)
        # The app counts sign-in attempts in it (when throttling is on).
        env_file = running.config.env_file().read_text()
        assert f"RATELIMIT_STORAGE_URI={running.config.redis_url}\n" in env_file
    finally:
        running.stop(graceful=False)
    # supervisord started a session: every process of the stack is in it, orphans too.
    assert in_session(running.supervisord.pid) == []
