"""`make skeleton`: each layout copied out as a new project that lints, migrates, serves, tests."""

import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy import LAYOUTS

ROOT = Path(__file__).resolve().parent.parent
RUFF = Path(sys.executable).parent / "ruff"
# `make skeleton`, run from the repository.
COMMAND = [sys.executable, "-m", "scripts.skeleton"]


def generate(layout: str, dest: Path, name: str = "my_blog") -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, "--layout", layout, "--dest", str(dest), "--name", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module", params=LAYOUTS)
def skeleton(request, tmp_path_factory) -> tuple[str, Path]:
    """A new project from one layout, named my_blog, in a temporary folder, made once."""
    dest = tmp_path_factory.mktemp(f"skeleton-{request.param}") / "my_blog"
    result = generate(request.param, dest)
    assert result.returncode == 0, result.stderr
    return request.param, dest


def clean_environment(dest: Path) -> dict[str, str]:
    """What a shell in the copy would have: none of the settings this suite's tests set.

    The copy's folder first on the path: it must not import this repository.
    """
    kept = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "CI") if name in os.environ}
    return {**kept, "PYTHONPATH": str(dest)}


def run_in(dest: Path, *command: str, timeout: int = 120, **env) -> subprocess.CompletedProcess:
    environment = {**clean_environment(dest), **env}
    return subprocess.run(
        command, cwd=dest, env=environment, capture_output=True, text=True, timeout=timeout
    )


def test_it_passes_its_own_ruff_check_and_format(skeleton):
    _, dest = skeleton
    checked = run_in(dest, str(RUFF), "check", "--no-cache", ".")
    assert checked.returncode == 0, checked.stdout
    formatted = run_in(dest, str(RUFF), "format", "--no-cache", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout


def test_no_trace_of_inkpot_or_of_the_other_layout_is_left(skeleton):
    layout, dest = skeleton
    (other,) = [name for name in LAYOUTS if name != layout]
    found = subprocess.run(
        ["grep", "-rilE", f"inkpot|functional_layout|divisional_layout|{other}", "."],
        cwd=dest,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout == ""
    paths = [str(path.relative_to(dest)) for path in dest.rglob("*")]
    assert not [path for path in paths if re.search(f"inkpot|{other}", path, re.I)]
    assert not (dest / "tests" / "test_parity.py").exists()
    assert not (dest / "docs" / "LAYOUTS.md").exists()


def test_every_module_parses_and_the_app_imports_under_its_new_name(skeleton):
    _, dest = skeleton
    imported = run_in(
        dest,
        sys.executable,
        "-c",
        "import my_blog, my_blog_domain, my_blog_web, deploy.stack, deploy.render;"
        "print(my_blog.__file__)",
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == str(dest / "my_blog" / "__init__.py")


# `make run` is scripts/serve_dev.py: run it for real up to the development server,
# which it would start on a fixed port; print that command instead.
MAKE_RUN_UNTIL_THE_SERVER = """
import subprocess, sys
sys.path.insert(0, "scripts")
import serve_dev
start = subprocess.Popen
def start_unless_serving(command, **options):
    if "run" not in command:
        return start(command, **options)
    print("SERVE", *command[1:])
    raise SystemExit(0)
subprocess.Popen = start_unless_serving
serve_dev.main()
"""


def test_make_run_migrates_seeds_and_serves_a_page(skeleton, tmp_path):
    _, dest = skeleton
    database = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    ran = run_in(dest, sys.executable, "-c", MAKE_RUN_UNTIL_THE_SERVER, DATABASE_URL=database)
    assert ran.returncode == 0, ran.stderr
    assert "ada@example.com" in ran.stdout  # seed-demo prints the demo accounts
    assert "SERVE -m flask --app my_blog run --debug" in ran.stdout
    page = run_in(
        dest,
        sys.executable,
        "-c",
        "import my_blog; app = my_blog.create_app();"
        "response = app.test_client().get('/sites/ada/');"
        "print(response.status_code, b'My Blog' in response.data)",
        DATABASE_URL=database,
    )
    assert page.stdout.split() == ["200", "True"], page.stderr


# How much of the copy's own suite its `make test` runs here. By default its smoke
# tests, a few per area, in one process: the rest are this suite's tests renamed, and
# this suite's workers have the cores. `make test-copies` (COPY_SUITE=full) runs all
# of them on every core, as CI does.
COPY_SUITES = {
    "smoke": ["TEST_WORKERS=0", "PYTEST_ARGS=-m smoke -p no:cacheprovider"],
    "full": ["PYTEST_ARGS=-p no:cacheprovider"],
}
COPY_SUITE = os.environ.get("COPY_SUITE", "smoke")


@pytest.mark.slow
def test_its_own_make_test_passes(skeleton):
    """The copy's `make test`, on this repository's .venv (installing again takes minutes)."""
    if COPY_SUITE not in COPY_SUITES:
        pytest.fail(f"COPY_SUITE={COPY_SUITE!r}: choose one of {', '.join(COPY_SUITES)}")
    _, dest = skeleton
    venv = Path(sys.executable).parent.parent
    ran = subprocess.run(
        [
            "make",
            "test",
            f"VENV={venv}",
            "-o",
            f"{venv}/.installed",
            *COPY_SUITES[COPY_SUITE],
        ],
        cwd=dest,
        env=clean_environment(dest),
        capture_output=True,
        text=True,
        timeout=3600 if COPY_SUITE == "full" else 600,
        check=False,
    )
    summary = [line for line in ran.stdout.splitlines() if line.startswith(("FAILED", "ERROR"))]
    assert ran.returncode == 0, "\n".join(summary) + "\n" + ran.stdout[-2000:] + ran.stderr
    assert re.search(r"\b[1-9]\d* passed\b", ran.stdout), ran.stdout[-2000:]  # ran some tests


def test_generating_twice_writes_the_same_tree(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for dest in (first, second):
        assert generate("divisional", dest).returncode == 0
    comparison = filecmp.dircmp(first, second)
    differences = []

    def collect(compared):
        differences.extend(compared.left_only + compared.right_only + compared.diff_files)
        for sub in compared.subdirs.values():
            collect(sub)

    collect(comparison)
    assert differences == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("My-Blog", "not a Python package name"),
        ("class", "keyword"),
        ("json", "standard library"),
        ("flask", "installed dependency"),
        ("celery", "installed dependency"),
        ("tests", "folder of the project"),
        ("page_layout", "layout choice"),
    ],
)
def test_it_refuses_a_name_it_could_not_import(tmp_path, name, message):
    result = generate("functional", tmp_path / "new", name)
    assert result.returncode == 1
    assert message in result.stderr
    assert not (tmp_path / "new").exists()


def test_it_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "kept.txt").write_text("mine")
    result = generate("functional", tmp_path)
    assert result.returncode == 1
    assert "not an empty folder" in result.stderr
    assert [path.name for path in tmp_path.iterdir()] == ["kept.txt"]
