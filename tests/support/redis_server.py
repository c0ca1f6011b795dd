"""A throwaway redis-server for tests: a free 127.0.0.1 port, a password, no persistence.

It asks for a password, as production's does (deploy/redis/): a test that forgets
to send one fails, as the app would on a server. The password is in a config file
in the test's folder, not on the command line, where any user's `ps` would see it.
"""

import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from tests.support.machine import free_port, unavailable

START_TIMEOUT = 10


@contextmanager
def redis_server(directory: Path, *settings: str) -> Iterator[str]:
    """Run redis-server in `directory` while the block runs; yields its URL, password included.

    `settings` are more lines of its config (`maxmemory 8mb`). Without redis-server
    the test is skipped (it fails under CI=true).
    """
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")

    port, password = free_port(), secrets.token_hex(16)
    config = directory / "redis.conf"
    lines = [f"port {port}", "bind 127.0.0.1", f"requirepass {password}", 'save ""']
    config.write_text("\n".join([*lines, "appendonly no", *settings]) + "\n")
    config.chmod(0o600)
    server = subprocess.Popen(
        [binary, str(config)],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://:{password}@127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
