"""deploy/inkpot-flask, the server's `flask`, run in a fake checkout with a stand-in user switch."""

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import render
from deploy.env_file import read_env_file

WRAPPER = render.DEPLOY / "inkpot-flask"
ENV_EXAMPLE = render.DEPLOY / "inkpot.env.example"

# Stands in for the checkout's .venv/bin/flask: reports how it was run.
FAKE_FLASK = f"""#!/bin/sh
exec {sys.executable} -c 'import json, os, sys; print(json.dumps({{"args": sys.argv[1:], \
"cwd": os.getcwd(), "env": dict(os.environ)}}))' "$@"
"""
# Stands in for util-linux's runuser, which needs root and a real `inkpot` user:
# records how it was called, then runs the command as whoever runs the test.
FAKE_RUNUSER = """#!/bin/sh
printf '%s\\n' "$@" > "$(dirname "$0")/runuser-called"
shift 3
exec "$@"
"""


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


class Server:
    """A checkout holding the wrapper and a fake flask, linked from a bin folder as on a server."""

    def __init__(self, root: Path):
        self.checkout = root / "srv" / "inkpot"
        executable(self.checkout / "deploy" / "inkpot-flask", WRAPPER.read_text())
        executable(self.checkout / ".venv" / "bin" / "flask", FAKE_FLASK)
        self.fake_bin = root / "fake-bin"
        executable(self.fake_bin / "runuser", FAKE_RUNUSER)
        self.link = root / "usr-local-bin" / "inkpot-flask"
        self.link.parent.mkdir()
        self.link.symlink_to(self.checkout / "deploy" / "inkpot-flask")
        self.env_file = root / "inkpot.env"

    def start(self, *args: str) -> subprocess.CompletedProcess:
        environment = {
            "PATH": f"{self.fake_bin}:{os.environ['PATH']}",
            "INKPOT_ENV_FILE": str(self.env_file),
        }
        return subprocess.run(
            [str(self.link), *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    def run(self, *args: str) -> dict:
        """How the fake flask was run; the wrapper must have succeeded."""
        finished = self.start(*args)
        assert finished.returncode == 0, finished.stderr
        return json.loads(finished.stdout)

    def runuser_called_with(self) -> list[str] | None:
        record = self.fake_bin / "runuser-called"
        return record.read_text().splitlines() if record.exists() else None


@pytest.fixture
def server(tmp_path):
    return Server(tmp_path)


def test_it_runs_the_env_files_layout_as_the_app_user_with_the_env_files_settings(server):
    server.env_file.write_text(
        "APP_ENV=production\nLAYOUT=divisional\nSECRET_KEY='with spaces & a ; semicolon'\n"
    )

    ran = server.run("create-admin", "ada lovelace@example.com")

    assert server.runuser_called_with()[:3] == ["-u", "inkpot", "--"]
    assert ran["args"] == ["--app", "divisional_layout", "create-admin", "ada lovelace@example.com"]
    # The checkout the link points to, whatever the current folder.
    assert ran["cwd"] == str(server.checkout)
    assert ran["env"]["APP_ENV"] == "production"
    assert ran["env"]["SECRET_KEY"] == "with spaces & a ; semicolon"


def test_it_runs_the_functional_layout_when_the_env_file_names_none(server):
    server.env_file.write_text("APP_ENV=production\n")
    assert server.run("db", "upgrade")["args"] == ["--app", "functional_layout", "db", "upgrade"]


def test_the_app_user_runs_it_without_switching(server):
    executable(server.fake_bin / "id", '#!/bin/sh\n[ "$1" = -un ] && echo inkpot\n')
    server.env_file.write_text("APP_ENV=production\nLAYOUT=divisional\n")

    ran = server.run("db", "current")

    assert server.runuser_called_with() is None
    assert ran["args"] == ["--app", "divisional_layout", "db", "current"]


@pytest.mark.parametrize("setting", ["", "APP_ENV=\n", "# APP_ENV=production\n"])
def test_it_refuses_an_env_file_without_app_env(server, setting):
    # Without it flask would run with development's settings, on the production database.
    server.env_file.write_text(f"{setting}LAYOUT=divisional\nSECRET_KEY=x\n")

    finished = server.start("create-admin", "ada@example.com")

    assert finished.returncode != 0
    assert finished.stdout == ""  # flask never ran
    assert "APP_ENV is not set" in finished.stderr
    assert f"APP_ENV=production in {server.env_file}" in finished.stderr


def test_the_shipped_env_file_reads_the_same_in_sh_as_in_gunicorn(tmp_path):
    # The wrapper sources it with sh; gunicorn.conf.py parses it: one file, two readers.
    filled = tmp_path / "inkpot.env"
    filled.write_text(ENV_EXAMPLE.read_text().replace("SECRET_KEY=\n", "SECRET_KEY=x\n"))
    sourced = subprocess.run(
        ["sh", "-c", 'set -a && . "$1" && exec env -0', "sh", str(filled)],
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    in_sh = dict(item.split("=", 1) for item in sourced.stdout.split("\0") if item)
    in_gunicorn = read_env_file(filled)
    assert in_gunicorn["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert {key: in_sh.get(key) for key in in_gunicorn} == in_gunicorn


def test_the_wrapper_is_an_executable_posix_sh_script():
    assert WRAPPER.stat().st_mode & stat.S_IXUSR
    assert WRAPPER.read_text().startswith("#!/bin/sh\n")
    subprocess.run(["sh", "-n", str(WRAPPER)], check=True, timeout=30)
    # Debian's shellcheck, where it is installed (optional: apt-get install shellcheck).
    shellcheck = shutil.which("shellcheck")
    if shellcheck is not None:
        subprocess.run([shellcheck, str(WRAPPER)], check=True, timeout=60)
