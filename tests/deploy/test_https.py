"""deploy/nginx/inkpot.conf's HTTPS comment, followed step by step: nginx accepts it, and runs it.

The running checks start nginx alone on loopback, with a self-signed certificate
and no app behind it: what they ask of it is decided before any app is reached.
"""

import contextlib
import os
import re
import signal
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy import render
from deploy.processes import accept_connections, free_port, system_program, wait_until
from deploy.stack import Stack, find_nginx
from tests.deploy.stacks import require_nginx
from tests.support.machine import unavailable

LETSENCRYPT = "/etc/letsencrypt/live/inkpot.example.com/"


def substitute(pattern: str, replacement, text: str, count: int) -> str:
    """re.subn that insists on `count` matches: the comment and this test must change together."""
    text, found = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert found == count, f"{pattern!r}: {found} matches, the HTTPS comment expects {count}"
    return text


def uncomment(lines: str) -> str:
    return re.sub(r"^( *)# ?", r"\1", lines, flags=re.MULTILINE)


def follow_the_https_comment(site: str) -> str:
    """What an operator does to the site's config once the certificate exists."""
    # 1. Uncomment the two servers: the redirect to HTTPS, the catch-all on 443.
    site = substitute(r"^# server \{\n(?:#     .*\n)+# \}\n", lambda m: uncomment(m[0]), site, 2)
    # 2. The site's `listen` lines give way to the four commented ones under them...
    four_lines = r"^(?:    listen [^;\n]*;\n)+((?:    # (?:listen|ssl_certificate).*\n){4})"
    site = substitute(four_lines, lambda m: uncomment(m[1]), site, 1)
    # ... and HSTS is switched on.
    return substitute(r"^    # (add_header Strict-Transport-Security .*)$", r"    \1", site, 1)


def self_signed_certificate(folder: Path) -> None:
    openssl = system_program("openssl")
    if openssl is None:
        unavailable("openssl is not installed (apt-get install openssl)")
    key, certificate = folder / "privkey.pem", folder / "fullchain.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=inkpot.example.com",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )


def nginx_t(config: Stack) -> subprocess.CompletedProcess:
    prefix, error_log = f"{config.run_dir}/nginx/", str(config.log("nginx-error.log"))
    return subprocess.run(
        [find_nginx(), "-t", "-p", prefix, "-e", error_log, "-c", str(config.nginx_conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def rendered(tmp_path) -> Stack:
    """The shipped configs rendered for this machine, as `make serve` runs them."""
    require_nginx()
    config = Stack("functional", tmp_path)
    render.render(config)
    return config


def test_the_shipped_site_has_the_lines_the_https_comment_names():
    shipped = (render.DEPLOY / "nginx" / "inkpot.conf").read_text()
    site = follow_the_https_comment(shipped)
    assert "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n" in site
    assert f"    ssl_certificate     {LETSENCRYPT}fullchain.pem;" in site
    # Port 80 is left to the redirect and the catch-all.
    assert site.count("listen 80;") == 1


def test_the_site_with_https_as_its_comment_describes_passes_nginx_t(rendered, tmp_path):
    self_signed_certificate(tmp_path)
    site_file = rendered.run_dir / "nginx" / "inkpot.conf"
    site = follow_the_https_comment(site_file.read_text())
    site_file.write_text(site.replace(LETSENCRYPT, f"{tmp_path}/"))

    checked = nginx_t(rendered)

    assert checked.returncode == 0, checked.stderr
    # A second `listen 443` or server name would only warn: no warning at all.
    assert "[warn]" not in checked.stderr, checked.stderr
    assert "return 301 https://$host$request_uri;" in site
    assert "ssl_reject_handshake on;" in site
    assert re.search(r"^    add_header Strict-Transport-Security ", site, re.MULTILINE)


def test_a_second_listen_443_such_as_certbot_adds_fails_the_check(rendered, tmp_path):
    # What `certbot --nginx` (without certonly) did on top of the comment's steps.
    self_signed_certificate(tmp_path)
    site_file = rendered.run_dir / "nginx" / "inkpot.conf"
    site = follow_the_https_comment(site_file.read_text()).replace(LETSENCRYPT, f"{tmp_path}/")
    certbot_edit = "    listen 443 ssl; # managed by Certbot\n    server_name 127.0.0.1 localhost;"
    site_file.write_text(site.replace("    server_name 127.0.0.1 localhost;", certbot_edit, 1))

    checked = nginx_t(rendered)

    assert checked.returncode != 0
    assert "duplicate listen" in checked.stderr


def test_every_server_answers_every_request_itself():
    # A server without a `return` or a `location /` would serve nginx's html folder:
    # on Debian, its welcome page, to anyone who names a host this site is not.
    site = follow_the_https_comment((render.DEPLOY / "nginx" / "inkpot.conf").read_text())
    servers = re.findall(r"^server \{\n.*?^\}\n", site, re.MULTILINE | re.DOTALL)

    assert len(servers) == 4  # the catch-alls on 80 and 443, the redirect, the site
    for server in servers:
        answers_all = re.search(r"^    return \d+", server, re.MULTILINE)
        assert answers_all or "    location / {\n        proxy_pass " in server, server


# What Debian's nginx package installs in /usr/share/nginx/html, its prefix's html/.
WELCOME_PAGE = "<title>Welcome to nginx!</title>"


def on_loopback(site: str, http_port: int, https_port: int) -> str:
    """The site with HTTPS as its comment describes, on loopback ports instead of 80 and 443."""
    site = substitute(r"^ +listen \[::\]:(80|443)\b.*\n", "", site, 3)
    site = substitute(r"^( +)listen 443 ", rf"\1listen 127.0.0.1:{https_port} ", site, 2)
    return substitute(r"^( +)listen 80;", rf"\1listen 127.0.0.1:{http_port};", site, 1)


@pytest.fixture
def https_port(rendered, tmp_path) -> Iterator[int]:
    """nginx serving the site over HTTPS on a free loopback port, stopped afterwards."""
    self_signed_certificate(tmp_path)
    site_file = rendered.run_dir / "nginx" / "inkpot.conf"
    site = follow_the_https_comment(site_file.read_text()).replace(LETSENCRYPT, f"{tmp_path}/")
    port = free_port()
    site_file.write_text(on_loopback(site, rendered.port, port))
    # As on Debian, a welcome page waits in nginx's prefix for any server without answers.
    welcome = rendered.run_dir / "nginx" / "html" / "index.html"
    welcome.parent.mkdir()
    welcome.write_text(f"<!DOCTYPE html>\n{WELCOME_PAGE}\n")
    prefix, error_log = f"{rendered.run_dir}/nginx/", str(rendered.log("nginx-error.log"))
    command = [find_nginx(), "-p", prefix, "-c", str(rendered.nginx_conf), "-e", error_log]
    nginx = subprocess.Popen([*command, "-g", "daemon off;"], start_new_session=True)
    try:
        wait_until(lambda: nginx.poll() is None and accept_connections([port]), 30, "nginx")
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            nginx.send_signal(signal.SIGTERM)
        try:
            nginx.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(nginx.pid, signal.SIGKILL)  # the master and its workers
            nginx.wait(timeout=15)


def over_tls(port: int, server_name: str, host: str) -> bytes:
    """Everything nginx answers to a GET over HTTP/1.1, the TLS handshake naming server_name."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
    request = f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
    answer = b""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as connection,
        context.wrap_socket(connection, server_hostname=server_name) as tls,
    ):
        tls.sendall(request)
        with contextlib.suppress(ssl.SSLError, ConnectionResetError):
            while chunk := tls.recv(65536):
                answer += chunk
    return answer


@pytest.mark.slow
def test_the_sites_name_with_another_host_gets_no_answer_over_https(https_port):
    # The handshake names the site, as a browser would; the Host header another name.
    foreign = over_tls(https_port, "localhost", "evil.example")
    own = over_tls(https_port, "localhost", "localhost")

    assert foreign == b""  # closed, no response at all (444)
    # The site itself answers (its 502 page: no app runs behind this nginx).
    assert own.startswith(b"HTTP/1.1 502 ")
    assert b"Back in a moment" in own


@pytest.mark.slow
def test_an_unknown_name_in_the_handshake_is_refused(https_port):
    with pytest.raises(ssl.SSLError):
        over_tls(https_port, "evil.example", "evil.example")


def curl_http2(port: int, host: str) -> tuple[str, str]:
    """(status, body) of a GET over HTTP/2, the handshake naming the site; 000: no answer."""
    curl = system_program("curl")
    if curl is None:
        unavailable("curl is not installed (apt-get install curl)")
    features = subprocess.run([curl, "--version"], capture_output=True, text=True, timeout=30)
    if "HTTP2" not in features.stdout:
        unavailable("this curl speaks no HTTP/2")
    url = f"https://localhost:{port}/"
    fetched = subprocess.run(
        [curl, "--silent", "--insecure", "--http2", "--max-time", "10", "--resolve",
         f"localhost:{port}:127.0.0.1", "--header", f"Host: {host}", "--write-out",
         "\n%{http_code} %{http_version}", url],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    body, _, status = fetched.stdout.rpartition("\n")
    return status, body


@pytest.mark.slow
def test_the_sites_name_with_another_host_gets_no_answer_over_http2(https_port):
    if "--with-http_v2_module" not in nginx_build_options():
        unavailable("this nginx has no HTTP/2 module")

    foreign_status, foreign_body = curl_http2(https_port, "evil.example")
    own_status, own_body = curl_http2(https_port, "localhost")

    assert foreign_status.startswith("000")
    assert WELCOME_PAGE not in foreign_body
    assert own_status == "502 2"
    assert "Back in a moment" in own_body


def nginx_build_options() -> str:
    return subprocess.run(
        [find_nginx(), "-V"], capture_output=True, text=True, timeout=30, check=True
    ).stderr
