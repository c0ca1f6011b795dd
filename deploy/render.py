"""Render deploy/'s configs for this machine, and run them: `make serve` is `render.py serve`.

    python deploy/render.py serve --layout functional      # supervisord → gunicorn → nginx, :8080
    python deploy/render.py static-locations --layout divisional > inkpot-static.conf

The shipped files (nginx/inkpot.conf, supervisor/inkpot.conf) hold a production
server's values. Rendering swaps the few that differ here (addresses, paths,
program names) and fails loudly if one is missing, then adds the top-level files
a server's packages provide (/etc/nginx/nginx.conf, supervisord.conf), all in one
run directory: nothing is written anywhere else.
"""

import argparse
import importlib
import importlib.util
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
DEPLOY = REPOSITORY / "deploy"
LAYOUTS = ("functional", "divisional")
SERVE_PORT = 8080
# Values a person may set for `make serve`; they go into the rendered env file.
PASSED_THROUGH = (
    "DATABASE_URL", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "WEB_CONCURRENCY",
    "GUNICORN_WORKER_CONNECTIONS", "DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW",
)  # fmt: skip
NGINX_MISSING = """\
`make serve` runs the production stack, and that needs nginx, which is not installed.
Install it, then run `make serve` again:

    sudo apt-get install nginx-light      # Debian, Ubuntu
"""
# Debian keeps nginx in /usr/sbin, which is not on an ordinary user's PATH.
SBIN_DIRECTORIES = ("/usr/sbin", "/usr/local/sbin", "/sbin")
SYSTEM_MIME_TYPES = Path("/etc/nginx/mime.types")
# What the local nginx needs when the system has no mime.types of its own.
FALLBACK_MIME_TYPES = """\
    types {
        text/html html; text/css css; text/plain txt; application/javascript js;
        application/json json; application/atom+xml atom; image/svg+xml svg;
        image/png png; image/jpeg jpg jpeg; image/webp webp; image/x-icon ico;
        font/woff2 woff2;
    }"""
# nginx writes request bodies and upstream answers here; by default under /var/lib/nginx.
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# A swap's new text: fixed, or made from the regex match.
Replacement = str | Callable[[re.Match], str]


class RenderError(RuntimeError):
    """A shipped config no longer has a value this script swaps: update one or the other."""


def find_nginx() -> str | None:
    return shutil.which(
        "nginx", path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN_DIRECTORIES])
    )


def environment_program(name: str) -> str:
    """A program installed next to this Python (gunicorn, supervisord, supervisorctl)."""
    return str(Path(sys.executable).parent / name)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def swap(text: str, source: str, replacements: list[tuple[str, Replacement]]) -> str:
    """Apply (regex, replacement) pairs to a shipped config; each must match exactly once."""
    for pattern, replacement in replacements:
        new = replacement if callable(replacement) else (lambda _match, text=replacement: text)
        text, count = re.subn(pattern, new, text, flags=re.MULTILINE)
        if count != 1:
            raise RenderError(
                f"{source}: expected one match of {pattern!r}, found {count}. "
                "deploy/render.py swaps that value for local runs: update both together."
            )
    return text


def static_folders(layout: str) -> list[tuple[str, Path]]:
    """(URL prefix, folder) for every static route in the layout's URL map, the app's first."""
    module = importlib.import_module(f"{layout}_layout")
    # Testing settings and an in-memory database: building the app touches nothing.
    app = module.create_app({"APP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    folders: dict[str, Path] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            folder = app.static_folder
        elif rule.endpoint.endswith(".static"):
            folder = app.blueprints[rule.endpoint.removesuffix(".static")].static_folder
        else:
            continue
        prefix = rule.rule.removesuffix("<path:filename>")
        # Two routes on one prefix: Flask serves the first registered, and so does nginx.
        folders.setdefault(prefix, Path(folder))
    return list(folders.items())


def static_locations(layout: str) -> str:
    """nginx locations serving the layout's static folders from disk, at the app's own URLs."""
    lines = [
        f"# Generated by `deploy/render.py static-locations --layout {layout}` from the app's",
        "# URL map: one location per static folder. Generate it again when an area gains one.",
    ]
    for prefix, folder in static_folders(layout):
        lines += [
            f"location ^~ {prefix} {{",
            f'    alias "{folder}/";',
            "    expires $inkpot_static_expires;",
            "    # A file that is not here: the app answers, with its own 404 page.",
            "    error_page 404 = @inkpot_app;",
            "}",
        ]
    return "\n".join(lines) + "\n"


@dataclass
class Stack:
    """One local production stack: nginx on `port`, a gunicorn per app port, all in run_dir."""

    layout: str
    run_dir: Path
    port: int
    app_ports: list[int]
    # Extra env-file values for every gunicorn (DATABASE_URL, WEB_CONCURRENCY, ...).
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def supervisord_conf(self) -> Path:
        return self.run_dir / "supervisord.conf"

    @property
    def supervisor_socket(self) -> Path:
        return self.run_dir / "supervisor.sock"

    @property
    def nginx_conf(self) -> Path:
        return self.run_dir / "nginx" / "nginx.conf"

    @property
    def programs(self) -> list[str]:
        """supervisor's names for the gunicorns: `inkpot`, as on a server, or one per port."""
        if len(self.app_ports) == 1:
            return ["inkpot"]
        return [f"inkpot-{number}" for number in range(1, len(self.app_ports) + 1)]

    def log(self, name: str) -> Path:
        return self.run_dir / "logs" / name

    def access_log(self, program: str = "inkpot") -> Path:
        return self.log(f"{program}-access.log")

    def error_log(self, program: str = "inkpot") -> Path:
        return self.log(f"{program}-error.log")

    def env_file(self, program: str = "inkpot") -> Path:
        return self.run_dir / f"{program}.env"

    def secret_key(self) -> str:
        """A key kept in the run directory, so sessions survive restarting the stack."""
        key_file = self.run_dir / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip()

    def env_values(self, app_port: int) -> dict[str, str]:
        """What /etc/inkpot/inkpot.env holds on a server, for the gunicorn on app_port."""
        return {
            "APP_ENV": "production",
            "LAYOUT": self.layout,
            "SECRET_KEY": self.secret_key(),
            "DATABASE_URL": f"sqlite:///{self.run_dir / 'inkpot.sqlite3'}",
            **self.settings,
            "GUNICORN_BIND": f"127.0.0.1:{app_port}",
        }


def render(stack: Stack) -> Stack:
    """Write every config the stack runs on into its run directory."""
    for folder in ("logs", "nginx/tmp"):
        (stack.run_dir / folder).mkdir(parents=True, exist_ok=True)
    for program, app_port in zip(stack.programs, stack.app_ports, strict=True):
        values = stack.env_values(app_port)
        env_file = stack.env_file(program)
        env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        env_file.chmod(0o600)
    nginx_dir = stack.run_dir / "nginx"
    (nginx_dir / "static-locations.conf").write_text(static_locations(stack.layout))
    (nginx_dir / "inkpot.conf").write_text(local_site(stack))
    stack.nginx_conf.write_text(local_nginx(stack))
    stack.supervisord_conf.write_text(local_supervisord(stack))
    return stack


def local_site(stack: Stack) -> str:
    """deploy/nginx/inkpot.conf with this machine's addresses and paths."""

    def upstream_servers(line: re.Match) -> str:
        # One line per local app port, each keeping the shipped line's options.
        indent, options = line.group(1), line.group(2)
        return "".join(f"{indent}server 127.0.0.1:{port}{options}\n" for port in stack.app_ports)

    listen = f"listen 127.0.0.1:{stack.port}"
    catch_all = f"{listen} default_server;"
    static = stack.run_dir / "nginx" / "static-locations.conf"
    return swap(
        (DEPLOY / "nginx" / "inkpot.conf").read_text(),
        "deploy/nginx/inkpot.conf",
        [
            (r"^( *)server 127\.0\.0\.1:8000( .*;)\n", upstream_servers),
            (r"listen 80 default_server;\n *listen \[::\]:80 default_server;", catch_all),
            (r"^    listen 80;\n    listen \[::\]:80;", f"    {listen};"),
            (r"^    server_name inkpot\.example\.com;", "    server_name 127.0.0.1 localhost;"),
            (r"/var/log/nginx/inkpot\.access\.log", str(stack.log("nginx-access.log"))),
            (r"/var/log/nginx/inkpot\.error\.log", str(stack.log("nginx-error.log"))),
            (r"/etc/nginx/snippets/inkpot-static\.conf", f'"{static}"'),
            (r"alias /srv/inkpot/deploy/errors/;", f'alias "{DEPLOY / "errors"}/";'),
            # The micro-cache of public pages (issue 6), in the run directory too.
            (r"proxy_cache_path /var/cache/nginx-inkpot ",
             f'proxy_cache_path "{stack.run_dir / "nginx" / "cache"}" '),
        ],
    )  # fmt: skip


def local_nginx(stack: Stack) -> str:
    """The local stand-in for /etc/nginx/nginx.conf: pid, logs and temp files in the run dir."""
    run = stack.run_dir
    lines = [
        "# Generated by deploy/render.py: the local stand-in for a server's /etc/nginx/nginx.conf.",
        "# The site itself is inkpot.conf, rendered from deploy/nginx/inkpot.conf.",
        "worker_processes 2;",
        f'pid "{run / "nginx" / "nginx.pid"}";',
        f'error_log "{stack.log("nginx-error.log")}";',
    ]
    if os.geteuid() == 0:
        # A root master would run its workers as `nobody`, who cannot read a private
        # run directory; run them as the user who started the stack, as without root.
        lines.append(f"user {pwd.getpwuid(os.geteuid()).pw_name};")
    mime_types = (
        f'    include "{SYSTEM_MIME_TYPES}";' if SYSTEM_MIME_TYPES.exists() else FALLBACK_MIME_TYPES
    )
    temp = run / "nginx" / "tmp"
    lines += [
        "events { worker_connections 512; }",
        "http {",
        mime_types,
        "    default_type application/octet-stream;",
        "    sendfile on;",
        "    tcp_nopush on;",
        *(f'    {kind}_temp_path "{temp / kind}";' for kind in TEMP_PATHS),
        # Debian's /var/log/nginx/access.log: what no server logs itself (the catch-all).
        f'    access_log "{stack.log("nginx-default-access.log")}";',
        f'    include "{run / "nginx" / "inkpot.conf"}";',
        "}",
    ]
    return "\n".join(lines) + "\n"


def local_program(stack: Stack, program: str) -> str:
    """deploy/supervisor/inkpot.conf with this machine's paths, as supervisor program `program`."""
    shipped = (DEPLOY / "supervisor" / "inkpot.conf").read_text()
    # The header comments are about installing the file on a server.
    section = shipped[shipped.index("[program:inkpot]") :]
    return swap(
        section,
        "deploy/supervisor/inkpot.conf",
        [
            (r"^\[program:inkpot\]", f"[program:{program}]"),
            (r"/srv/inkpot/\.venv/bin/gunicorn", environment_program("gunicorn")),
            (r"--config /srv/inkpot/deploy/", f"--config {DEPLOY}/"),
            (r"^directory=/srv/inkpot$", f"directory={REPOSITORY}"),
            # Locally everything runs as whoever started the stack.
            (r"^user=inkpot\n", ""),
            (r"/etc/inkpot/inkpot\.env", str(stack.env_file(program))),
            (r"/var/log/inkpot/access\.log", str(stack.access_log(program))),
            (r"/var/log/inkpot/error\.log", str(stack.error_log(program))),
        ],
    )


def local_supervisord(stack: Stack) -> str:
    """The local supervisord.conf: a private unix control socket, the gunicorns, then nginx."""
    run = stack.run_dir
    nginx = find_nginx() or "nginx"
    header = f"""\
; Generated by deploy/render.py: the local stand-in for a server's supervisord.conf.
; Programs: deploy/supervisor/inkpot.conf, rendered, and (only here) nginx.

[unix_http_server]
; supervisorctl's only way in: a unix socket that only this user may open, no TCP port.
file={stack.supervisor_socket}
chmod=0700

[supervisord]
logfile={stack.log("supervisord.log")}
pidfile={run / "supervisord.pid"}
childlogdir={run / "logs"}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{stack.supervisor_socket}

"""
    programs = "\n".join(local_program(stack, program) for program in stack.programs)
    error_log = stack.log("nginx-error.log")
    nginx_program = f"""
[program:nginx]
command={nginx} -p {run / "nginx"}/ -c {stack.nginx_conf} -e {error_log} -g "daemon off;"
; Started after the gunicorns and stopped before them (higher priority number).
priority=1000
autorestart=true
startsecs=1
; QUIT: finish the requests in flight, then exit.
stopsignal=QUIT
stopwaitsecs=10
stopasgroup=true
killasgroup=true
stdout_logfile={stack.log("nginx-stdout.log")}
redirect_stderr=true
"""
    return header + programs + nginx_program


def migrate(stack: Stack, capture_output: bool = False) -> subprocess.CompletedProcess:
    """`flask db upgrade` against the stack's database, with its env file's settings."""
    values = stack.env_values(stack.app_ports[0])
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", f"{stack.layout}_layout", "db", "upgrade"],
        cwd=REPOSITORY,
        env={**os.environ, **values},
        capture_output=capture_output,
        text=True,
        check=True,
        timeout=120,
    )


def layout_is_importable(layout: str) -> bool:
    return importlib.util.find_spec(f"{layout}_layout") is not None


def serve(layout: str, port: int) -> int:
    """Render the stack into run/serve-LAYOUT/, migrate, and run supervisord in the foreground."""
    if find_nginx() is None:
        print(NGINX_MISSING, file=sys.stderr)
        return 1
    if not layout_is_importable(layout):
        print(f"There is no {layout}_layout package in this checkout.", file=sys.stderr)
        return 1
    if not port_is_free(port):
        print(f"127.0.0.1:{port} is in use; stop what runs there first.", file=sys.stderr)
        return 1
    settings = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    run_dir = REPOSITORY / "run" / f"serve-{layout}"
    run_dir.mkdir(parents=True, exist_ok=True)
    stack = render(Stack(layout, run_dir, port, [free_port()], settings))
    migrate(stack)
    print(
        f"\n  Inkpot ({layout} layout), the production stack: http://127.0.0.1:{port}/\n"
        f"  supervisord → gunicorn (gevent) → nginx; configs and logs in {run_dir}/\n"
        f"  Status: {environment_program('supervisorctl')} -c {stack.supervisord_conf} status\n"
        "  Press Ctrl-C to stop.\n",
        flush=True,
    )
    # Replace this process, so Ctrl-C reaches supervisord, which stops nginx and gunicorn.
    supervisord = environment_program("supervisord")
    arguments = [supervisord, "--nodaemon", "--configuration", str(stack.supervisord_conf)]
    os.execv(supervisord, arguments)  # noqa: S606  (a fixed program of our own environment)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser("serve", help="run the production stack on 127.0.0.1")
    serve_parser.add_argument("--layout", choices=LAYOUTS, default="functional")
    serve_parser.add_argument("--port", type=int, default=SERVE_PORT)
    static_parser = commands.add_parser(
        "static-locations", help="print nginx locations for the layout's static folders"
    )
    static_parser.add_argument("--layout", choices=LAYOUTS, default="functional")
    arguments = parser.parse_args(argv)
    if arguments.command == "serve":
        return serve(arguments.layout, arguments.port)
    print(static_locations(arguments.layout), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
