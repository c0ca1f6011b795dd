"""`make run`: migrate and seed the shared demo database, then serve every layout until Ctrl-C."""

import importlib.util
import signal
import subprocess
import sys
import time

HOST = "127.0.0.1"
LAYOUTS = {"functional_layout": 5001, "divisional_layout": 5002}


def flask(app: str, *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", app, *args]


def main() -> int:
    layouts = {name: port for name, port in LAYOUTS.items() if importlib.util.find_spec(name)}
    first = next(iter(layouts))
    subprocess.run(flask(first, "db", "upgrade"), check=True)
    subprocess.run(flask(first, "seed-demo"), check=True)

    servers = [
        subprocess.Popen(flask(name, "run", "--debug", "--host", HOST, "--port", str(port)))
        for name, port in layouts.items()
    ]
    print()
    for name, port in layouts.items():
        print(f"  {name:<18} http://{HOST}:{port}/")
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
