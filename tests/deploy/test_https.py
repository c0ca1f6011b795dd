"""deploy/nginx/inkpot.conf's HTTPS comment, followed step by step, gives a config nginx accepts."""

import re
import subprocess
from pathlib import Path

import pytest

from deploy import render
from deploy.processes import system_program
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
