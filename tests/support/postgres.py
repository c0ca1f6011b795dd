"""A throwaway PostgreSQL server for tests: initdb and pg_ctl on a temporary directory."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.support.machine import free_port, unavailable

# Debian and Ubuntu keep the server binaries out of PATH, one folder per major version.
BINARY_GLOBS = ["/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin"]
START_TIMEOUT = 30
# initdb refuses to run as root; Debian's package creates this account.
SERVER_ACCOUNT = "postgres"
# Brought to the newest migration once per session; each test gets a copy of it.
TEMPLATE_DATABASE = "migrated_template"


def find_binaries() -> Path | None:
    """The newest PostgreSQL bin folder with initdb and pg_ctl, or None."""
    candidates = [Path(found) for pattern in BINARY_GLOBS for found in glob.glob(pattern)]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    usable = [c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()]
    # Version folders sort numerically ("9.6" < "15"), so compare their parts as numbers.
    return max(usable, key=_version_key, default=None)


def _version_key(bin_dir: Path) -> tuple:
    return tuple(int(part) for part in bin_dir.parent.name.split(".") if part.isdigit())


class PostgresServer:
    """One PostgreSQL cluster on a free port, reachable only through a unix socket in its folder."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        # Not under pytest's tmp_path: those folders are private to us, and as root the server
        # runs as another account that must be able to reach its own directory.
        self.directory = Path(tempfile.mkdtemp(prefix="inkpot-pg-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0

    def _run(self, *command: str, timeout: float = START_TIMEOUT) -> None:
        prefix = ["runuser", "-u", SERVER_ACCOUNT, "--"] if self.as_root else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=timeout, check=False
        )
        if result.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}\n{tail}")

    def start(self) -> "PostgresServer":
        if self.as_root:
            account = pwd.getpwnam(SERVER_ACCOUNT)
            os.chown(self.directory, account.pw_uid, account.pw_gid)
        data = self.directory / "data"
        initdb = str(self.bin_dir / "initdb")
        superuser = ["-U", "postgres", "-A", "trust"]  # trusted: only the socket reaches it
        self._run(
            initdb, "-D", str(data), *superuser, "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"
        )
        # No TCP at all, and no durability: this server lives for one test session.
        options = (
            f"-k {self.directory} -p {self.port} -c listen_addresses='' -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
        )
        pg_ctl, log = str(self.bin_dir / "pg_ctl"), str(self.directory / "server.log")
        wait = ["-w", "-t", str(START_TIMEOUT)]  # return once the server accepts connections
        self._run(pg_ctl, "-D", str(data), "-l", log, *wait, "-o", options, "start")
        return self

    def stop(self) -> None:
        data = self.directory / "data"
        try:
            if (data / "postmaster.pid").exists():
                # Immediate: nothing here needs to survive, so skip the shutdown checkpoint.
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database on this server."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.directory}&port={self.port}"

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(
            host=str(self.directory),
            port=self.port,
            user="postgres",
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(statement)

    def create_database(self, template: str | None = None) -> str:
        """A new, uniquely named database (a copy of `template`, if given); returns its name."""
        name = f"test_{uuid.uuid4().hex[:12]}"
        copy = f" TEMPLATE {template}" if template else ""
        self.execute(f"CREATE DATABASE {name}{copy}")
        return name

    def drop_database(self, name: str) -> None:
        # FORCE: a test that failed half-way may still hold a connection.
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_server() -> PostgresServer:
    """A running throwaway server, or a skip (a failure under CI=true) saying what is missing."""
    bin_dir = find_binaries()
    if bin_dir is None:
        unavailable("PostgreSQL server binaries not found (apt-get install postgresql)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_ACCOUNT)
        except KeyError:
            unavailable(f"running as root and there is no {SERVER_ACCOUNT!r} account for initdb")
    server = PostgresServer(bin_dir)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise
