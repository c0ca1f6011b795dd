"""`make run`: migrate and seed the shared demo database, then serve both layouts until Ctrl-C."""

import signal
import subprocess
import sys
import time
from pathlib import Path

# Run as a script: make the repository importable, whatever the current folder.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deploy import LAYOUTS

HOST = "127.0.0.1"
FIRST_PORT = 5001


def flask(layout: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", f"{layout}_layout", *args]


def main() -> int:
    ports = {layout: FIRST_PORT + number for number, layout in enumerate(LAYOUTS)}
    # Both layouts share one database: migrate and seed it once.
    subprocess.run(flask(LAYOUTS[0], "db", "upgrade"), check=True)
    subprocess.run(flask(LAYOUTS[0], "seed-demo"), check=True)

    servers = [
        subprocess.Popen(flask(layout, "run", "--debug", "--host", HOST, "--port", str(port)))
        for layout, port in ports.items()
    ]
    print()
    for layout, port in ports.items():
        print(f"  {layout + ' layout':<18} http://{HOST}:{port}/")
    print("  Press Ctrl-C to stop.\n", flush=True)
    try:
        while all(server.poll() is None for server in servers):
            time.sleep(0.5)
        print("A server stopped; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    sys.exit(main())
